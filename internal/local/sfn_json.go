package local

import (
	"encoding/json"
	"strconv"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// appendJSON appends the record as json.Marshal encodes it, by hand: every
// checkpoint rewrites the record, and encoding/json spends most of that time
// in reflection and in re-scanning the checkpoint's payloads
// (TestExecRecordEncodesAsEncodingJSON holds the two together).
func (rec *execRecord) appendJSON(buf []byte) ([]byte, error) {
	start, ok := asl.AppendJSONTime(nil, rec.StartDate)
	var stop, redrive []byte
	if ok && !rec.StopDate.IsZero() {
		stop, ok = asl.AppendJSONTime(nil, rec.StopDate)
	}
	if ok && !rec.RedriveDate.IsZero() {
		redrive, ok = asl.AppendJSONTime(nil, rec.RedriveDate)
	}
	if !ok {
		type plain execRecord
		raw, err := json.Marshal((*plain)(rec))
		return append(buf, raw...), err
	}
	str := func(k, v string) {
		buf = append(buf, k...)
		buf = asl.AppendJSONString(buf, v)
	}
	str(`{"arn":`, rec.Arn)
	str(`,"machineArn":`, rec.MachineArn)
	str(`,"name":`, rec.Name)
	str(`,"status":`, rec.Status)
	buf = append(buf, `,"startDate":`...)
	buf = append(buf, start...)
	if stop != nil {
		buf = append(buf, `,"stopDate":`...)
		buf = append(buf, stop...)
	}
	str(`,"input":`, rec.Input)
	if rec.Output != nil {
		str(`,"output":`, *rec.Output)
	}
	if rec.Error != nil {
		str(`,"error":`, *rec.Error)
	}
	if rec.Cause != nil {
		str(`,"cause":`, *rec.Cause)
	}
	buf = append(buf, `,"redriveCount":`...)
	buf = strconv.AppendInt(buf, rec.RedriveCount, 10)
	if redrive != nil {
		buf = append(buf, `,"redriveDate":`...)
		buf = append(buf, redrive...)
	}
	str(`,"definition":`, rec.Definition)
	if rec.RoleArn != "" {
		str(`,"roleArn":`, rec.RoleArn)
	}
	if rec.Checkpoint != nil {
		buf = append(buf, `,"checkpoint":`...)
		var err error
		if buf, err = rec.Checkpoint.AppendJSON(buf); err != nil {
			return nil, err
		}
	}
	buf = append(buf, `,"events":`...)
	buf = strconv.AppendInt(buf, rec.Events, 10)
	return append(buf, '}'), nil
}
