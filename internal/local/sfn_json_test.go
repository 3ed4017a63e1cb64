package local

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

func TestExecRecordEncodesAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pieces := []string{"a", "Z", " ", `"`, `\`, "<", ">", "&", "\n", "\t", "\x01", "é", "\u2028", "\U0001F600", "\xff", ":", "{"}
	str := func() string {
		var b []byte
		for range r.Intn(10) {
			b = append(b, pieces[r.Intn(len(pieces))]...)
		}
		return string(b)
	}
	opt := func() *string {
		if r.Intn(3) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	date := func() time.Time {
		if r.Intn(3) == 0 {
			return time.Time{}
		}
		return time.Unix(int64(r.Intn(2e9)), int64(r.Intn(1e9))).UTC()
	}
	for i := range 5000 {
		rec := execRecord{Arn: str(), MachineArn: str(), Name: str(), Status: str(), StartDate: date(), StopDate: date(),
			Input: str(), Output: opt(), Error: opt(), Cause: opt(), RedriveCount: int64(r.Intn(3)), RedriveDate: date(),
			Definition: str(), RoleArn: str(), Events: int64(r.Intn(100))}
		if r.Intn(4) > 0 {
			rec.Checkpoint = &asl.Checkpoint{ExecutionArn: str(), Name: str(), Input: asl.NewPayload(map[string]any{str(): str()}),
				StartTime: date(), State: str(), StateInput: asl.NewPayload([]any{str(), int64(r.Intn(9))}), LastEventID: int64(r.Intn(50)),
				RedriveTime: date()}
		}
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rec.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
}
