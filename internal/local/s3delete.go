package local

import (
	"encoding/xml"
	"io"
	"net/http"

	"github.com/johannesboyne/gofakes3"
)

// DeleteObjects is served here rather than by gofakes3, whose result has no
// room for what S3 reports of each delete in a versioned bucket: whether a
// delete marker was made or removed (DeleteMarker) and its version
// (DeleteMarkerVersionId), which a script needs to undo the delete.

// deletedObject is one <Deleted> entry of a DeleteObjects result.
type deletedObject struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedObject `xml:"Deleted"`
	Errors  []deleteError   `xml:"Error"`
}

// maxDeleteKeys is how many keys one DeleteObjects request may name.
const maxDeleteKeys = 1000

func (f *s3Front) deleteObjects(w http.ResponseWriter, r *http.Request, bucket string) {
	id := newRequestID()
	w.Header().Set("x-amz-request-id", id)
	if ok, err := f.store.BucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = gofakes3.BucketNotFound(bucket)
		}
		writeCopyError(w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	var in gofakes3.DeleteRequest
	if err == nil {
		err = xml.Unmarshal(body, &in)
	}
	if err != nil || len(in.Objects) == 0 || len(in.Objects) > maxDeleteKeys {
		writeS3Error(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	if bucket == f.inputBucket {
		defer f.track(r, id, bucket, "", "DeleteObject")()
	}
	var out deleteResult
	for _, o := range in.Objects {
		res, err := f.store.DeleteObjectVersion(bucket, o.Key, gofakes3.VersionID(o.VersionID))
		if err != nil {
			e := gofakes3.ErrorResultFromError(err)
			out.Errors = append(out.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: string(e.Code), Message: e.Message})
			continue
		}
		d := deletedObject{Key: o.Key, VersionID: o.VersionID}
		if res.IsDeleteMarker {
			d.DeleteMarker, d.DeleteMarkerVersionID = true, string(res.VersionID)
		}
		if !in.Quiet {
			out.Deleted = append(out.Deleted, d)
		}
	}
	raw, _ := xml.Marshal(out)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(raw)
}
