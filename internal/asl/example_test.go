package asl_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

type notJPEG struct{ detected string }

func (e notJPEG) Error() string { return "not a JPEG: " + e.detected }

// A Lambda handler's error type becomes the Error a Catch matches.
func Example() {
	sm, err := asl.Parse([]byte(`{
	  "StartAt": "Validate",
	  "States": {
	    "Validate": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "validate", "Payload.$": "$"},
	      "ResultSelector": {"size.$": "$.Payload.size"},
	      "ResultPath": "$.validated",
	      "Catch": [{"ErrorEquals": ["notJPEG"], "ResultPath": "$.error", "Next": "Rejected"}],
	      "End": true
	    },
	    "Rejected": {"Type": "Fail", "ErrorPath": "$.error.Error", "Cause": "not an image we sanitize"}
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	validate := lambda.NewHandler(func(in struct{ Key string }) (map[string]int, error) {
		if in.Key == "a.png" {
			return nil, notJPEG{"png"}
		}
		return map[string]int{"size": 42}, nil
	})
	eng := asl.New(asl.Options{Tasks: &asl.LambdaTasks{Functions: map[string]lambda.Handler{"validate": validate}}})
	for _, key := range []string{"a.jpg", "a.png"} {
		x, err := eng.Start(context.Background(), sm, "", []byte(`{"Key":"`+key+`"}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		d, _ := x.Wait(context.Background())
		if d.Status == asl.StatusSucceeded {
			fmt.Println(key, d.Status, d.Output)
		} else {
			fmt.Println(key, d.Status, *d.Error)
		}
	}
	// Output:
	// a.jpg SUCCEEDED {"Key":"a.jpg","validated":{"size":42}}
	// a.png FAILED notJPEG
}
