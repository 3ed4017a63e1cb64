package local

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// GetObjectAttributes (GET ?attributes) is served here: gofakes3 ignores the
// query and answers with the object's body, which SDKs then fail to parse.
// It tells the attributes x-amz-object-attributes names: ETag, Checksum (the
// one stored with the object, if any), ObjectParts (the part count of a
// multipart object; parts are not kept apart once it is complete),
// StorageClass and ObjectSize.

type objectAttributes struct {
	XMLName      xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	ETag         string          `xml:"ETag,omitempty"`
	Checksum     *attributeSums  `xml:"Checksum"`
	ObjectParts  *attributeParts `xml:"ObjectParts"`
	StorageClass string          `xml:"StorageClass,omitempty"`
	ObjectSize   *int64          `xml:"ObjectSize"`
}

type attributeSums struct {
	CRC32        string `xml:"ChecksumCRC32,omitempty"`
	CRC32C       string `xml:"ChecksumCRC32C,omitempty"`
	CRC64NVME    string `xml:"ChecksumCRC64NVME,omitempty"`
	SHA1         string `xml:"ChecksumSHA1,omitempty"`
	SHA256       string `xml:"ChecksumSHA256,omitempty"`
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type attributeParts struct {
	PartsCount int `xml:"PartsCount"`
}

// objectAttributeNames are the values x-amz-object-attributes may list.
var objectAttributeNames = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

func (f *s3Front) objectAttributes(w http.ResponseWriter, r *http.Request, bucket, key string) {
	w.Header().Set("x-amz-request-id", newRequestID())
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				want[name] = true
			}
		}
	}
	valid := len(want) > 0
	for name := range want {
		valid = valid && objectAttributeNames[name]
	}
	if !valid {
		writeS3Error(w, http.StatusBadRequest, "InvalidArgument", "Invalid attribute name specified.")
		return
	}
	id := r.URL.Query().Get("versionId")
	v, m, err := f.store.find(bucket, key, gofakes3.VersionID(id))
	if err != nil {
		writeCopyError(w, r, err)
		return
	}
	if v.DeleteMarker {
		w.Header().Set("x-amz-delete-marker", "true")
		w.Header().Set("x-amz-version-id", v.ID)
		if id != "" {
			writeS3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
			return
		}
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	var out objectAttributes
	if want["ETag"] {
		out.ETag = v.MD5
	}
	if want["Checksum"] {
		sums := attributeSums{CRC32: v.Meta["X-Amz-Checksum-Crc32"], CRC32C: v.Meta["X-Amz-Checksum-Crc32c"],
			CRC64NVME: v.Meta["X-Amz-Checksum-Crc64nvme"], SHA1: v.Meta["X-Amz-Checksum-Sha1"], SHA256: v.Meta["X-Amz-Checksum-Sha256"]}
		if sums != (attributeSums{}) {
			sums.ChecksumType = "FULL_OBJECT"
			out.Checksum = &sums
		}
	}
	if want["ObjectParts"] {
		if _, n, ok := strings.Cut(v.MD5, "-"); ok {
			if parts, err := strconv.Atoi(n); err == nil {
				out.ObjectParts = &attributeParts{PartsCount: parts}
			}
		}
	}
	if want["StorageClass"] {
		out.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		size := v.Size
		out.ObjectSize = &size
	}
	if ext := m.externalID(v.ID); ext != "" {
		w.Header().Set("x-amz-version-id", string(ext))
	}
	w.Header().Set("Last-Modified", v.Modified.UTC().Format(http.TimeFormat))
	raw, _ := xml.Marshal(out)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(raw)
}
