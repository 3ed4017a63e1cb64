package sanitize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// ContentTypeJPEG is the Content-Type of every staged and published object.
const ContentTypeJPEG = "image/jpeg"

// maxPublishTries bounds Write's read-decide-swap loop when the output key keeps changing.
const maxPublishTries = 5

// Validate reads the exact source version and checks it: a JPEG, structurally sound,
// within the byte and pixel limits. A reprocess event names only the key; Validate
// then pins the key's current version for the steps after it.
func (s *Service) Validate(ctx context.Context, at Attempt, job Job) (Job, error) {
	err := s.step(ctx, at, audit.StepValidate, job.Source, func(rec *audit.Record) (audit.Outcome, error) {
		if err := s.checkSource(job.Source); err != nil {
			return "", err
		}
		if job.Source.VersionID == "" && job.Source.ETag == "" {
			info, err := s.Store.Head(ctx, ObjectRef{Bucket: job.Source.Bucket, Key: job.Source.Key})
			if err != nil {
				return "", sourceError(job.Source, err)
			}
			job.Source.VersionID, job.Source.ETag, job.Source.Size = info.VersionID, info.ETag, info.Size
		}
		if l := s.limit(); l > 0 && job.Source.Size > l {
			return "", &metadata.TooLargeError{Limit: l, Size: job.Source.Size}
		}
		b, info, err := s.readAll(ctx, job.Source.Ref(), s.limit())
		if err != nil {
			return "", sourceError(job.Source, err)
		}
		defer putBuffer(b)
		if job.Source.ETag == "" {
			job.Source.ETag = info.ETag
		}
		if job.Source.VersionID == "" {
			job.Source.VersionID = info.VersionID
		}
		job.Source.Size = int64(len(b))
		if !info.LastModified.IsZero() {
			job.Source.LastModified = info.LastModified.UTC().Format(time.RFC3339)
		}
		rec.Source = job.Source.audit()
		rec.BytesIn = int64(len(b))
		rec.PolicyVersion = s.policyVersion()
		var insp *metadata.Inspection
		err = s.computing(ctx, func() (err error) {
			rec.SHA256In = digest(b)
			// The decode refuses a corrupt or cut scan here, before anything is
			// written, and with it a small file claiming a huge frame (a
			// decompression bomb under the pixel limit): every block takes at
			// least a bit. What it decodes is the image data Strip copies, so
			// Verify, finding that image data in the output, need not decode again.
			if insp, err = metadata.InspectDecode(b, s.Config.Policy); err != nil {
				return err
			}
			w, h := insp.Structure.Width, insp.Structure.Height
			if max := s.Config.Policy.Limits.MaxPixels; max > 0 && int64(w)*int64(h) > max {
				return &metadata.TooManyPixelsError{Width: w, Height: h, Limit: max}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		w, h := insp.Structure.Width, insp.Structure.Height
		tags := boundNames(insp.SensitiveTags)
		job.Validation = &Validation{
			Width: w, Height: h, Bytes: int64(len(b)), SHA256: rec.SHA256In,
			ImageDigest: insp.ImageDigest, Decode: insp.Decode, Orientation: insp.Orientation, SensitiveTags: tags,
		}
		rec.ImageDigest, rec.SensitiveTags = insp.ImageDigest, tags
		return audit.Succeeded, nil
	})
	return job, err
}

// Strip removes the source's metadata and stages the result. It reads the same exact
// version Validate read (by version ID, or ETag as If-Match) and refuses to go on if
// its length differs from what Validate saw; the version pin is what makes them the
// same bytes, so Strip hashes neither the whole source nor its image data a second
// time. metadata.StripKnown proves the output's image data equal to the input's as
// it writes, and Verify recomputes the published object's image digest on its own.
func (s *Service) Strip(ctx context.Context, at Attempt, job Job) (Job, error) {
	err := s.step(ctx, at, audit.StepStrip, job.Source, func(rec *audit.Record) (audit.Outcome, error) {
		if job.Validation == nil {
			return "", &InvalidInputError{Msg: "strip: the job has no validation result"}
		}
		b, _, err := s.readAll(ctx, job.Source.Ref(), s.limit())
		if err != nil {
			return "", sourceError(job.Source, err)
		}
		defer putBuffer(b)
		in := job.Validation.SHA256
		if int64(len(b)) != job.Validation.Bytes {
			return "", &SourceChangedError{Bucket: job.Source.Bucket, Key: job.Source.Key,
				Detail: fmt.Sprintf("%d bytes, Validate read %d", len(b), job.Validation.Bytes)}
		}
		out := bytes.NewBuffer(getBuffer(len(b)))
		var rep *metadata.Report
		var sum string
		err = s.computing(ctx, func() (err error) {
			rep, err = metadata.StripKnown(out, bytes.NewReader(b), s.Config.Policy, job.Validation.ImageDigest)
			if err == nil {
				sum = digest(out.Bytes())
			}
			return err
		})
		if err != nil {
			putBuffer(out.Bytes())
			return "", err
		}
		// A rotation in the DCT domain changes the image digest: metadata.Strip
		// has then decoded its own output and compared it with the rotated
		// source coefficient by coefficient (what CheckTransform re-derives
		// from scratch, at the price of two more decodes).
		staged := ObjectRef{Bucket: s.Config.StagingBucket, Key: stagingKey(at.Execution, job.Source.Key)}
		info, err := s.Store.Put(ctx, PutRequest{
			Bucket: staged.Bucket, Key: staged.Key, Body: out.Bytes(), ContentType: ContentTypeJPEG,
			Metadata: map[string]string{MetaSHA256: sum, MetaPolicyVersion: rep.PolicyVersion}, SSE: s.Config.SSE,
		})
		if err != nil {
			// Not given back: an HTTP transport may still be reading a request
			// body after an early error response.
			return "", err
		}
		bytesOut := int64(out.Len())
		putBuffer(out.Bytes()) // S3 answered: it has read the whole body
		removed := make([]audit.Removal, 0, len(rep.Removed))
		for _, r := range rep.Removed {
			if len(removed) < MaxNames {
				removed = append(removed, audit.Removal{Kind: r.Kind, Count: r.Count, Bytes: r.Bytes})
			}
		}
		tags := boundNames(rep.SensitiveTags)
		job.Stripped = &Stripped{
			PolicyVersion: rep.PolicyVersion, BytesIn: int64(len(b)), BytesOut: bytesOut,
			SHA256In: in, SHA256Out: sum, ImageDigest: rep.ImageDigest, SourceImageDigest: rep.SourceImageDigest,
			Removed: removed, SensitiveTags: tags,
			Orientation: rep.Orientation, OrientationAction: rep.OrientationAction,
		}
		job.Staged = &Staged{Bucket: staged.Bucket, Key: staged.Key, VersionID: info.VersionID, ETag: info.ETag, Size: bytesOut, SHA256: sum}
		rec.Output = &audit.Object{Bucket: staged.Bucket, Key: staged.Key, VersionID: info.VersionID, ETag: info.ETag, Size: bytesOut}
		rec.SHA256In, rec.SHA256Out, rec.BytesIn, rec.BytesOut = in, sum, int64(len(b)), bytesOut
		rec.ImageDigest, rec.Removed, rec.SensitiveTags, rec.PolicyVersion = rep.ImageDigest, removed, tags, rep.PolicyVersion
		rec.Orientation, rec.OrientationAction, rec.OrientationReason = rep.Orientation, rep.OrientationAction, rep.OrientationReason
		return audit.Succeeded, nil
	})
	return job, err
}

// stagingKey is per execution, so concurrent executions for one key never share a
// staged object; the staging bucket's lifecycle rule expires them.
func stagingKey(execution, key string) string {
	return "staged/" + audit.Hash(execution)[:32] + "/" + audit.Hash(key)[:32] + ".jpg"
}

// Write publishes the staged object to the output bucket under the source key with a
// server-side copy: the bytes never pass through the function (no second transfer,
// no buffer, no hashing here). The copy's source is pinned to the exact version Strip
// wrote (its version ID, else its ETag), so what lands in the output bucket is what
// Strip produced and proved; Verify reads it back and checks its sha256 and image.
// Write first tries to create the output (If-None-Match: *); when the key exists it
// reads the current output and decides: replace an older upload's output (If-Match:
// its ETag), keep an identical output (duplicate delivery), or skip because the
// output is from a newer upload. A lost race re-reads and decides again.
func (s *Service) Write(ctx context.Context, at Attempt, job Job) (Job, error) {
	err := s.step(ctx, at, audit.StepWrite, job.Source, func(rec *audit.Record) (audit.Outcome, error) {
		if job.Staged == nil || job.Stripped == nil {
			return "", &InvalidInputError{Msg: "write: the job has no staged object"}
		}
		st := job.Staged
		staged := ObjectRef{Bucket: st.Bucket, Key: st.Key, VersionID: st.VersionID, ETag: st.ETag}
		rec.SHA256In, rec.BytesIn, rec.SHA256Out, rec.BytesOut = st.SHA256, st.Size, st.SHA256, st.Size
		rec.PolicyVersion = job.Stripped.PolicyVersion
		out := ObjectRef{Bucket: s.Config.OutputBucket, Key: job.Source.Key}
		copyReq := func() CopyRequest {
			return CopyRequest{Source: staged, Bucket: out.Bucket, Key: out.Key, ContentType: ContentTypeJPEG,
				Metadata: s.outputMetadata(job), SSE: s.Config.SSE}
		}
		written := func(info ObjectInfo) (audit.Outcome, error) {
			job.Published = &Published{Outcome: Written, Reason: rec.Reason, Bucket: out.Bucket, Key: out.Key,
				VersionID: info.VersionID, ETag: info.ETag, Size: st.Size, SHA256: st.SHA256}
			rec.Output = &audit.Object{Bucket: out.Bucket, Key: out.Key, VersionID: info.VersionID, ETag: info.ETag,
				Sequencer: job.Source.Sequencer, Size: st.Size}
			return audit.Succeeded, nil
		}
		// Most uploads are their key's first: create the output before reading
		// the key, as reading it first would decide (If-None-Match: *). When the
		// key exists (or the copy fails for its source), read and decide below.
		first := copyReq()
		first.IfNoneMatch = true
		info, err := s.Store.Copy(ctx, first)
		switch {
		case err == nil:
			return written(info)
		case !errors.Is(err, ErrPreconditionFailed) && !errors.Is(err, ErrNotFound):
			return "", err
		}
		for range maxPublishTries {
			req := copyReq()
			cur, err := s.Store.Head(ctx, out)
			switch {
			case errors.Is(err, ErrNotFound):
				req.IfNoneMatch = true
			case err != nil:
				return "", err
			default:
				decision, reason := decide(job.Source, st.SHA256, cur)
				if decision != Written {
					job.Published = &Published{Outcome: decision, Reason: reason, Bucket: out.Bucket, Key: out.Key,
						VersionID: cur.VersionID, ETag: cur.ETag, Size: cur.Size, SHA256: cur.Metadata[MetaSHA256]}
					rec.Reason = reason
					rec.Output = &audit.Object{Bucket: out.Bucket, Key: out.Key, VersionID: cur.VersionID, ETag: cur.ETag,
						Sequencer: cur.Metadata[MetaSourceSequencer], Size: cur.Size}
					return audit.Skipped, nil
				}
				req.IfMatch = cur.ETag
				rec.Reason = reason
			}
			info, err := s.Store.Copy(ctx, req)
			if errors.Is(err, ErrPreconditionFailed) || errors.Is(err, ErrNotFound) {
				// S3 gives a failed copy-source pin and a failed destination condition
				// the same answer, so ask the source: gone or changed ends the step.
				// The source is asked only here, on the rare failure path, not before
				// every copy.
				if serr := s.checkStaged(ctx, st, staged); serr != nil {
					return "", serr
				}
				if errors.Is(err, ErrNotFound) && req.IfMatch == "" {
					return "", err // not a destination condition (no such bucket)
				}
				continue // the key changed between our read and our copy: decide again
			}
			if err != nil {
				return "", err
			}
			return written(info)
		}
		return "", &ContentionError{Bucket: out.Bucket, Key: out.Key}
	})
	return job, err
}

// checkStaged reports a *StagedObjectMissingError when the staged version Strip wrote
// is gone (the staging lifecycle rule expired it during a long retry) or changed.
func (s *Service) checkStaged(ctx context.Context, st *Staged, ref ObjectRef) error {
	info, err := s.Store.Head(ctx, ref)
	switch {
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrPreconditionFailed):
		return &StagedObjectMissingError{Bucket: st.Bucket, Key: st.Key, Detail: err.Error()}
	case err != nil:
		return err
	case info.Size != st.Size:
		return &StagedObjectMissingError{Bucket: st.Bucket, Key: st.Key,
			Detail: fmt.Sprintf("%d bytes, Strip wrote %d", info.Size, st.Size)}
	}
	return nil
}

func (s *Service) outputMetadata(job Job) map[string]string {
	m := map[string]string{MetaSHA256: job.Staged.SHA256, MetaPolicyVersion: job.Stripped.PolicyVersion}
	for k, v := range map[string]string{
		MetaSourceVersionID: job.Source.VersionID, MetaSourceETag: NormalizeETag(job.Source.ETag),
		MetaSourceSequencer: job.Source.Sequencer, MetaSourceLastModified: job.Source.LastModified,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// decide compares this job's source with the upload the current output came from:
// Written (replace it), Unchanged (it is already this output) or Skipped (it is newer).
func decide(src Source, sha string, cur ObjectInfo) (string, string) {
	meta := cur.Metadata
	same := false
	switch {
	case src.VersionID != "" && meta[MetaSourceVersionID] != "":
		same = src.VersionID == meta[MetaSourceVersionID]
	case src.ETag != "" && meta[MetaSourceETag] != "":
		same = NormalizeETag(src.ETag) == meta[MetaSourceETag]
	}
	theirs := meta[MetaSourceSequencer]
	newer := src.Sequencer != "" && theirs != "" && CompareSequencers(src.Sequencer, theirs) > 0
	if same {
		switch {
		case meta[MetaSHA256] != sha:
			return Written, "same upload, different output (policy change): replaced"
		case newer:
			// The same bytes uploaded again (an unversioned bucket's ETag matches):
			// record the newer sequencer, or a late event in between could win.
			return Written, "same bytes from a newer upload (sequencer " + src.Sequencer + "): rewritten"
		}
		return Unchanged, "the output already holds this upload's sanitized bytes (duplicate delivery)"
	}
	if src.Sequencer != "" && theirs != "" {
		if newer {
			return Written, "replaced the output of an older upload (sequencer " + theirs + ")"
		}
		return Skipped, fmt.Sprintf("stale event: the output is from a newer upload (sequencer %s, this event %s)", theirs, src.Sequencer)
	}
	// One side has no sequencer (a reprocess event, or an object not written by the
	// pipeline): order by the source versions' modification times.
	theirTime, err := time.Parse(time.RFC3339, meta[MetaSourceLastModified])
	if err != nil {
		return Written, "replaced an output without source metadata"
	}
	ourTime, err := time.Parse(time.RFC3339, src.LastModified)
	if err == nil && ourTime.After(theirTime) {
		return Written, "replaced the output of an older upload (modified " + theirTime.Format(time.RFC3339) + ")"
	}
	return Skipped, fmt.Sprintf("the output is from an upload modified at %s, not older than this one (%s)", theirTime.Format(time.RFC3339), src.LastModified)
}

// Verify reads the published object back and proves it: parseable, clean under the
// policy, and the image data Strip produced from the source Validate read (the
// source's own, or for an image the transform mode rotated, the one Strip proved to
// be the rotated source). If not, it removes the published version and fails. If the
// output was replaced or removed meanwhile, the newer execution owns it and Verify skips.
func (s *Service) Verify(ctx context.Context, at Attempt, job Job) (Job, error) {
	err := s.step(ctx, at, audit.StepVerify, job.Source, func(rec *audit.Record) (audit.Outcome, error) {
		p := job.Published
		if p == nil || job.Validation == nil || job.Stripped == nil {
			return "", &InvalidInputError{Msg: "verify: the job has no published object"}
		}
		rec.Output = &audit.Object{Bucket: p.Bucket, Key: p.Key, VersionID: p.VersionID, ETag: p.ETag, Size: p.Size}
		if p.Outcome == Skipped {
			job.Verified = &Verified{Superseded: true}
			rec.Reason = "nothing was published: " + p.Reason
			return audit.Skipped, nil
		}
		b, _, err := s.readAll(ctx, ObjectRef{Bucket: p.Bucket, Key: p.Key, VersionID: p.VersionID, ETag: p.ETag}, s.limit())
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrPreconditionFailed) {
			// Skip only when a newer upload's output replaced ours. Otherwise the
			// version is gone because a verify attempt rolled it back and the crash
			// that followed lost its failure (or something outside the pipeline
			// removed it): the upload was not sanitized, so fail and notify.
			reason, newer, herr := s.replacedByNewer(ctx, job, p)
			if herr != nil {
				return "", herr
			}
			if !newer {
				return "", &OutputRemovedError{Bucket: p.Bucket, Key: p.Key, VersionID: p.VersionID, ETag: p.ETag, Detail: reason}
			}
			job.Verified = &Verified{Superseded: true}
			rec.Reason = "the published object was replaced before it could be read: " + reason
			return audit.Skipped, nil
		}
		if err != nil {
			return "", err
		}
		defer putBuffer(b)
		rec.SHA256In, rec.BytesIn = job.Validation.SHA256, job.Validation.Bytes
		rec.BytesOut = int64(len(b))
		rec.PolicyVersion = s.policyVersion()
		// A transformed image (the policy's transform mode rotated it in the DCT
		// domain) has new entropy-coded data: Strip proved it coefficient for
		// coefficient equal to the transformed source before staging it, so the
		// published object must hold exactly the image Strip produced, from the
		// source Validate read.
		st := job.Stripped
		if st.SourceImageDigest != job.Validation.ImageDigest {
			return "", &InvalidInputError{Msg: "verify: the job's strip result is not of the validated source"}
		}
		want := job.Validation.ImageDigest
		if st.OrientationAction == metadata.OrientationTransformed {
			want = st.ImageDigest
		}
		var got string
		var verr error
		if err := s.computing(ctx, func() error {
			rec.SHA256Out = digest(b)
			got, verr = s.check(b, want)
			return nil
		}); err != nil {
			return "", err
		}
		rec.ImageDigest = got
		if verr == nil && p.SHA256 != "" && rec.SHA256Out != p.SHA256 {
			// Clean and the right image, but not the bytes Strip produced and
			// Write published (Write copies the staged version without reading it).
			verr = &OutputDigestError{Bucket: p.Bucket, Key: p.Key, Want: p.SHA256, Got: rec.SHA256Out}
		}
		if verr == nil {
			job.Verified = &Verified{SHA256: rec.SHA256Out, ImageDigest: got, Clean: true}
			return audit.Succeeded, nil
		}
		rolled, err := s.rollback(ctx, p)
		if err != nil {
			return "", fmt.Errorf("verify failed (%v), and removing the published object failed: %w", verr, err)
		}
		rec.Reason = "rolled back " + rolled
		return "", &VerifyError{RolledBack: rolled, Err: verr}
	})
	return job, err
}

// replacedByNewer reports whether the output key now holds the output of a newer upload
// than job's, deciding as Write does from the source recorded in its metadata.
func (s *Service) replacedByNewer(ctx context.Context, job Job, p *Published) (string, bool, error) {
	cur, err := s.Store.Head(ctx, ObjectRef{Bucket: p.Bucket, Key: p.Key})
	if errors.Is(err, ErrNotFound) {
		return "the output key holds no object", false, nil
	}
	if err != nil {
		return "", false, err
	}
	decision, reason := decide(job.Source, p.SHA256, cur)
	if decision == Skipped {
		return reason, true, nil
	}
	return fmt.Sprintf("the output key holds version %q (etag %s) from source version %q, sequencer %q, not a newer upload",
		cur.VersionID, cur.ETag, cur.Metadata[MetaSourceVersionID], cur.Metadata[MetaSourceSequencer]), false, nil
}

// check proves b clean and its image data equal to want; it returns b's image digest.
// It does not decode b: the image digest covers every byte a decoder reads
// (tables, frame and scan headers, entropy-coded data, in order), and the image
// data want names was decoded already, by Validate from the source or, for a
// transformed image, by Strip from its own output (see metadata.InspectDecode).
func (s *Service) check(b []byte, want string) (string, error) {
	insp, err := metadata.VerifyBytes(b, s.Config.Policy, false)
	if err != nil {
		if insp != nil {
			return insp.ImageDigest, err
		}
		return "", err
	}
	if insp.ImageDigest != want {
		return insp.ImageDigest, &metadata.ImageMismatchError{Want: want, Got: insp.ImageDigest}
	}
	return insp.ImageDigest, nil
}

// rollback removes the published object: its version in a versioned bucket (the
// previous output becomes current again), else the object if it is still ours.
func (s *Service) rollback(ctx context.Context, p *Published) (string, error) {
	ref := ObjectRef{Bucket: p.Bucket, Key: p.Key}
	if p.VersionID != "" {
		ref.VersionID = p.VersionID
		if err := s.Store.Delete(ctx, ref); err != nil {
			return "", err
		}
		return fmt.Sprintf("s3://%s/%s version %s", p.Bucket, p.Key, p.VersionID), nil
	}
	cur, err := s.Store.Head(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if cur.ETag != p.ETag {
		return "", nil // replaced meanwhile: nothing of ours is left to remove
	}
	if err := s.Store.Delete(ctx, ref); err != nil {
		return "", err
	}
	return fmt.Sprintf("s3://%s/%s etag %s", p.Bucket, p.Key, p.ETag), nil
}

// Unpublish handles an Object Deleted event: it removes the key's output so a withdrawn
// photo stops being served, but never while the key exists in the input bucket (a
// re-upload after the delete). It does not read the output bucket (the function may
// only delete there): when the key is gone from the input bucket, every output of it
// is stale, whichever upload it came from.
func (s *Service) Unpublish(ctx context.Context, at Attempt, job Job) (Job, error) {
	err := s.step(ctx, at, audit.StepUnpublish, job.Source, func(rec *audit.Record) (audit.Outcome, error) {
		if err := s.checkSource(job.Source); err != nil {
			return "", err
		}
		_, err := s.Store.Head(ctx, ObjectRef{Bucket: job.Source.Bucket, Key: job.Source.Key})
		if err == nil {
			reason := "the key exists in the input bucket"
			job.Unpublish = &Unpublish{Outcome: Skipped, Reason: reason}
			rec.Reason = reason
			return audit.Skipped, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", err
		}
		// Without a version: in a versioned bucket this adds a delete marker, so no
		// older output becomes current and starts being served again. Deleting a key
		// that is not there succeeds, so a duplicate delete event is harmless.
		out := ObjectRef{Bucket: s.Config.OutputBucket, Key: job.Source.Key}
		if err := s.Store.Delete(ctx, out); err != nil {
			return "", err
		}
		job.Unpublish = &Unpublish{Outcome: "deleted", Removed: &out}
		rec.Output = &audit.Object{Bucket: out.Bucket, Key: out.Key}
		return audit.Succeeded, nil
	})
	return job, err
}

func (s *Service) policyVersion() string {
	if s.Config.Policy.Version != "" {
		return s.Config.Policy.Version
	}
	return metadata.PolicyVersion
}
