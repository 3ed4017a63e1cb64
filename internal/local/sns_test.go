package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// An HTTP subscriber gets SNS's SubscriptionConfirmation, confirms by GETting
// the SubscribeURL, then receives each Publish as a Notification document.
func TestSNSHTTPSubscription(t *testing.T) {
	ts := startStack(t, "")
	type received struct {
		header http.Header
		doc    map[string]any
	}
	got := make(chan received, 10)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &doc)
		got <- received{r.Header, doc}
	}))
	defer sub.Close()
	ctx := context.Background()
	c := sns.NewFromConfig(ts.cfg)
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil || aws.ToString(again.TopicArn) != aws.ToString(topic.TopicArn) {
		t.Fatalf("CreateTopic is not idempotent: %v %v", again, err)
	}
	s, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL + "/hook")})
	if err != nil || aws.ToString(s.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("subscribe: %v %v", s, err)
	}
	wait := func() received {
		select {
		case r := <-got:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no delivery")
			return received{}
		}
	}
	conf := wait()
	if conf.header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || conf.doc["Type"] != "SubscriptionConfirmation" || conf.doc["Token"] == "" {
		t.Fatalf("confirmation: %v %v", conf.header, conf.doc)
	}
	// Publishing before confirmation delivers nothing.
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("early")}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(conf.doc["SubscribeURL"].(string))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("confirm: %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<ConfirmSubscriptionResult><SubscriptionArn>"+aws.ToString(topic.TopicArn)+":") {
		t.Errorf("confirm response: %s", body)
	}
	out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("Failed: a.jpg"), Message: aws.String(`{"key":"a.jpg"}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"step": {DataType: aws.String("String"), StringValue: aws.String("validate")}}})
	if err != nil {
		t.Fatal(err)
	}
	n := wait()
	if n.doc["Type"] != "Notification" || n.doc["Message"] != `{"key":"a.jpg"}` || n.doc["Subject"] != "Failed: a.jpg" ||
		n.doc["MessageId"] != aws.ToString(out.MessageId) || n.header.Get("x-amz-sns-subscription-arn") == "" {
		t.Errorf("notification: %v %v", n.header, n.doc)
	}
	if attrs, _ := n.doc["MessageAttributes"].(map[string]any); attrs["step"] == nil {
		t.Errorf("attributes: %v", n.doc["MessageAttributes"])
	}
	select {
	case extra := <-got:
		t.Errorf("unexpected delivery %v", extra.doc)
	case <-time.After(100 * time.Millisecond):
	}
	msgs, _ := ts.SNS.Messages()
	if len(msgs) != 2 || msgs[0].Message != `{"key":"a.jpg"}` {
		t.Errorf("log: %+v", msgs)
	}
	subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(subs.Subscriptions) != 1 || aws.ToString(subs.Subscriptions[0].Endpoint) != sub.URL+"/hook" {
		t.Errorf("subscriptions: %+v %v", subs, err)
	}
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Message: aws.String("x")})
	var ae smithy.APIError
	if !asErr(err, &ae) || ae.ErrorCode() != "NotFound" {
		t.Errorf("publish to a missing topic: %v", err)
	}
}

// Subscribe answers a pending subscription's ARN when ReturnSubscriptionArn
// asks for it (it answered "pending confirmation" regardless), answers the
// subscription an endpoint already has instead of adding a second one, and
// GetSubscriptionAttributes describes it (it was an unknown action).
func TestSNSSubscribeReturnsArnAndDescribesSubscriptions(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c, topic := newTopic(t, ts, "alerts")
	endpoint := "http://127.0.0.1:1/unreachable" // the confirmation is never delivered: the subscription stays pending
	s, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(endpoint), ReturnSubscriptionArn: true})
	if err != nil || !strings.HasPrefix(aws.ToString(s.SubscriptionArn), aws.ToString(topic.TopicArn)+":") {
		t.Fatalf("subscribe with ReturnSubscriptionArn: %v %v", aws.ToString(s.SubscriptionArn), err)
	}
	again, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(endpoint)})
	if err != nil || aws.ToString(again.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("subscribe again: %v %v", aws.ToString(again.SubscriptionArn), err)
	}
	list, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(list.Subscriptions) != 1 {
		t.Fatalf("one subscription per endpoint: %+v %v", list, err)
	}
	attrs, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: s.SubscriptionArn})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	if a["SubscriptionArn"] != aws.ToString(s.SubscriptionArn) || a["TopicArn"] != aws.ToString(topic.TopicArn) || a["Protocol"] != "http" ||
		a["Endpoint"] != endpoint || a["PendingConfirmation"] != "true" || a["Owner"] == "" {
		t.Errorf("attributes: %v", a)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(aws.ToString(topic.TopicArn) + ":nope")})
	var ae smithy.APIError
	if !asErr(err, &ae) || ae.ErrorCode() != "NotFound" {
		t.Errorf("missing subscription: %v", err)
	}
}

// Publish with MessageStructure json sends each subscriber its protocol's
// message (the default to others) and refuses a body without a default, as
// SNS does; the stack used to send the JSON itself.
func TestSNSPublishMessageStructureJSON(t *testing.T) {
	ts := startStack(t, "")
	got := make(chan map[string]any, 10)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &doc)
		if doc["Type"] == "SubscriptionConfirmation" {
			if resp, err := http.Get(doc["SubscribeURL"].(string)); err == nil {
				resp.Body.Close()
			}
		}
		got <- doc
	}))
	defer sub.Close()
	ctx := context.Background()
	c, topic := newTopic(t, ts, "structured")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	wait := func() map[string]any {
		select {
		case doc := <-got:
			return doc
		case <-time.After(5 * time.Second):
			t.Fatal("no delivery")
			return nil
		}
	}
	if doc := wait(); doc["Type"] != "SubscriptionConfirmation" {
		t.Fatalf("confirmation: %v", doc)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","http":"for http","email":"for email"}`)}); err != nil {
		t.Fatal(err)
	}
	if doc := wait(); doc["Type"] != "Notification" || doc["Message"] != "for http" {
		t.Errorf("notification: %v", doc)
	}
	if msgs, _ := ts.SNS.Messages(); len(msgs) != 1 || msgs[0].Message != "for everyone" {
		t.Errorf("log: %+v", msgs)
	}
	for _, body := range []string{`{"http":"no default"}`, `not json`} {
		_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, MessageStructure: aws.String("json"), Message: aws.String(body)})
		var ae smithy.APIError
		if !asErr(err, &ae) || ae.ErrorCode() != "InvalidParameter" {
			t.Errorf("publish %s: %v", body, err)
		}
	}
}

// Identical Subscribes at once make one subscription: the lookup of an
// existing one and the put of a new one share a transaction. Each could
// miss the others' and add its own.
func TestSNSConcurrentSubscribesMakeOne(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c, topic := newTopic(t, ts, "alerts")
	var wg sync.WaitGroup
	const endpoints = 16
	for i := range endpoints {
		endpoint := fmt.Sprintf("http://127.0.0.1:1/unreachable/%d", i) // never confirmed: the subscription stays pending
		for range 8 {
			wg.Go(func() {
				if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(endpoint)}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	list, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(list.Subscriptions) != endpoints {
		t.Fatalf("one subscription per endpoint: %d for %d endpoints, %v", len(list.Subscriptions), endpoints, err)
	}
}

// newTopic creates topic name on the stack and returns an SNS client for it.
func newTopic(t *testing.T, ts *testStack, name string) (*sns.Client, *sns.CreateTopicOutput) {
	t.Helper()
	c := sns.NewFromConfig(ts.cfg)
	topic, err := c.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return c, topic
}
