package local

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIError is an AWS-shaped error: the code SDKs branch on, a message, and the
// HTTP status AWS uses for it.
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func validationErr(format string, args ...any) *APIError {
	return apiErr(http.StatusBadRequest, "ValidationException", format, args...)
}

// maxJSONBody bounds request bodies of the JSON APIs (PutEvents allows 256 KB
// per entry; a StartExecution input 256 KB).
const maxJSONBody = 4 << 20

// jsonOp handles one operation of an awsJson protocol: body in, result out.
type jsonOp func(r *http.Request, body []byte) (any, error)

// serveJSON dispatches an X-Amz-Target request ("Prefix.Operation") to ops and
// writes the result or an AWS JSON error. version is "1.0" or "1.1".
func serveJSON(w http.ResponseWriter, r *http.Request, prefix, version string, ops map[string]jsonOp) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := ops[strings.TrimPrefix(target, prefix+".")]
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("x-amzn-RequestId", newUUID())
	if !ok || !strings.HasPrefix(target, prefix+".") {
		writeJSONError(w, apiErr(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", target))
		return
	}
	if r.Method != http.MethodPost {
		writeJSONError(w, apiErr(http.StatusBadRequest, "UnknownOperationException", "%s requires POST", target))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		writeJSONError(w, apiErr(http.StatusBadRequest, "SerializationException", "reading request: %v", err))
		return
	}
	if len(body) > maxJSONBody {
		writeJSONError(w, apiErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "request body exceeds %d bytes", maxJSONBody))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		writeJSONError(w, apiErr(http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected, or the body is not valid JSON"))
		return
	}
	out, err := op(r, body)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	json.NewEncoder(w).Encode(out)
}

func writeJSONError(w http.ResponseWriter, err error) {
	ae, ok := err.(*APIError)
	if !ok {
		ae = apiErr(http.StatusInternalServerError, "InternalFailure", "%v", err)
	}
	w.Header().Set("x-amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code, "message": ae.Message})
}

// decodeInput unmarshals a JSON body into in, turning type mismatches into
// the SerializationException AWS answers with.
func decodeInput(body []byte, in any) error {
	if err := json.Unmarshal(body, in); err != nil {
		return apiErr(http.StatusBadRequest, "SerializationException", "%v", err)
	}
	return nil
}

// queryError writes an error of the AWS query protocol (SNS).
func writeQueryError(w http.ResponseWriter, xmlns string, err error) {
	ae, ok := err.(*APIError)
	if !ok {
		ae = apiErr(http.StatusInternalServerError, "InternalFailure", "%v", err)
	}
	typ := "Sender"
	if ae.Status >= 500 {
		typ = "Receiver"
	}
	type errBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	resp := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errBody  `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Xmlns: xmlns, Error: errBody{typ, ae.Code, ae.Message}, RequestID: newUUID()}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.Status)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(resp)
}

func newUUID() string {
	b := randomHex(16)
	return b[0:8] + "-" + b[8:12] + "-4" + b[13:16] + "-a" + b[17:20] + "-" + b[20:32]
}

func as(err error, target any) bool { return errors.As(err, target) }

// ErrorCode is the AWS error code (asl names SNS task errors SNS.<code>).
func (e *APIError) ErrorCode() string { return e.Code }

// pageToken makes a pagination cursor (which may hold any bytes, e.g. a bbolt
// key) an opaque printable token, as AWS's are: base64url without padding.
func pageToken(cursor []byte) string {
	return base64.RawURLEncoding.EncodeToString(cursor)
}

// pageCursor reads back a token made by pageToken; a malformed one is an
// error with the given code (InvalidToken for Step Functions).
func pageCursor(token string, status int, code string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return nil, apiErr(status, code, "Invalid Token: '%s'", token)
	}
	return b, nil
}
