package local

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

const snsXMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// Notifications is SNS for the local stack: topics, subscriptions, Publish over
// the query protocol. HTTP/HTTPS subscribers get the JSON documents SNS POSTs
// (SubscriptionConfirmation, then Notification); every published message is
// also kept in a bounded log the console shows.
type Notifications struct {
	db       *stateDB
	account  string
	region   string
	endpoint func() string // base URL of the stack, for SubscribeURL/UnsubscribeURL
	log      *slog.Logger
	client   *http.Client
	ctx      context.Context

	wg sync.WaitGroup

	// LogSize bounds the delivered-message log (oldest dropped first).
	LogSize int
}

type snsTopic struct {
	Arn  string `json:"arn"`
	Name string `json:"name"`
}

type snsSubscription struct {
	Arn      string `json:"arn"`
	TopicArn string `json:"topicArn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	Token    string `json:"token"`
	Pending  bool   `json:"pending"`
}

// Message is one published message as kept in the log.
type Message struct {
	MessageID  string            `json:"messageId"`
	TopicArn   string            `json:"topicArn"`
	Subject    string            `json:"subject,omitempty"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Time       time.Time         `json:"time"`
}

const (
	topicsBucket = "sns:topics"
	subsBucket   = "sns:subscriptions"
	msgBucket    = "sns:messages"
)

func newNotifications(ctx context.Context, db *stateDB, account, region string, endpoint func() string, log *slog.Logger) *Notifications {
	return &Notifications{db: db, account: account, region: region, endpoint: endpoint, log: log,
		client: &http.Client{Timeout: 15 * time.Second}, ctx: ctx, LogSize: 1000}
}

func (n *Notifications) wait() { n.wg.Wait() }

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// ServeHTTP answers the SNS query protocol (form-encoded Action=...).
func (n *Notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeQueryError(w, snsXMLNS, apiErr(http.StatusBadRequest, "MalformedQueryString", "%v", err))
		return
	}
	f := r.Form
	action := f.Get("Action")
	var result any
	var err error
	switch action {
	case "CreateTopic":
		result, err = n.createTopic(f.Get("Name"))
	case "ListTopics":
		result, err = n.listTopics(f.Get("NextToken"))
	case "DeleteTopic":
		err = n.deleteTopic(f.Get("TopicArn"))
	case "GetTopicAttributes":
		result, err = n.topicAttributes(f.Get("TopicArn"))
	case "Subscribe":
		result, err = n.subscribe(f.Get("TopicArn"), f.Get("Protocol"), f.Get("Endpoint"), f.Get("ReturnSubscriptionArn") == "true")
	case "GetSubscriptionAttributes":
		result, err = n.subscriptionAttributes(f.Get("SubscriptionArn"))
	case "ConfirmSubscription":
		result, err = n.confirm(f.Get("TopicArn"), f.Get("Token"))
	case "Unsubscribe":
		err = n.unsubscribe(f.Get("SubscriptionArn"))
	case "ListSubscriptions":
		result, err = n.listSubscriptions("")
	case "ListSubscriptionsByTopic":
		if _, err = n.topic(f.Get("TopicArn")); err == nil {
			result, err = n.listSubscriptions(f.Get("TopicArn"))
		}
	case "Publish":
		var id string
		var byProtocol map[string]string
		message := f.Get("Message")
		if byProtocol, err = messageStructure(f.Get("MessageStructure"), message); err == nil {
			id, err = n.publish(firstNonEmpty(f.Get("TopicArn"), f.Get("TargetArn")), f.Get("Subject"), firstNonEmpty(byProtocol["default"], message), byProtocol, formAttributes(f))
		}
		result = struct {
			MessageID string `xml:"MessageId"`
		}{id}
	case "":
		err = apiErr(http.StatusBadRequest, "MissingAction", "Missing Action parameter")
	default:
		err = apiErr(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this endpoint.", action)
	}
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}
	type meta struct {
		RequestID string `xml:"RequestId"`
	}
	var buf bytes.Buffer
	buf.WriteString(`<` + action + `Response xmlns="` + snsXMLNS + `">`)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if merr := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); merr != nil {
			writeQueryError(w, snsXMLNS, merr)
			return
		}
		enc.Flush()
	}
	m, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ResponseMetadata"`
		meta
	}{meta: meta{newUUID()}})
	buf.Write(m)
	buf.WriteString("</" + action + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	w.Write(buf.Bytes())
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// formAttributes reads MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue}.
func formAttributes(f url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; i <= 10; i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		name := f.Get(p + "Name")
		if name == "" {
			break
		}
		out[name] = f.Get(p + "Value.StringValue")
	}
	return out
}

func (n *Notifications) topicArn(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", n.region, n.account, name)
}

// CreateTopic is idempotent, as on AWS.
func (n *Notifications) CreateTopic(name string) (string, error) {
	out, err := n.createTopic(name)
	if err != nil {
		return "", err
	}
	return out.TopicArn, nil
}

type topicArnResult struct {
	TopicArn string `xml:"TopicArn"`
}

func (n *Notifications) createTopic(name string) (topicArnResult, error) {
	if !topicName.MatchString(name) {
		return topicArnResult{}, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Topic Name")
	}
	t := snsTopic{Arn: n.topicArn(name), Name: name}
	err := n.db.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, t.Arn, t, topicsBucket) })
	return topicArnResult{t.Arn}, err
}

func (n *Notifications) topic(arn string) (*snsTopic, error) {
	var t snsTopic
	var found bool
	err := n.db.db.View(func(tx *bolt.Tx) (err error) {
		found, err = getJSON(tx, arn, &t, topicsBucket)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		if !strings.HasPrefix(arn, "arn:aws:sns:") {
			return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: TopicArn")
		}
		return nil, apiErr(http.StatusNotFound, "NotFound", "Topic does not exist")
	}
	return &t, nil
}

func (n *Notifications) listTopics(next string) (any, error) {
	type member struct {
		TopicArn string `xml:"TopicArn"`
	}
	out := struct {
		Topics    []member `xml:"Topics>member"`
		NextToken string   `xml:"NextToken,omitempty"`
	}{}
	after := ""
	if next != "" {
		cur, err := pageCursor(next, http.StatusBadRequest, "InvalidParameter")
		if err != nil {
			return nil, err
		}
		after = string(cur)
	}
	err := n.db.db.View(func(tx *bolt.Tx) error {
		return forEachJSON(tx, func(k, _ []byte) error {
			if string(k) <= after {
				return nil
			}
			if len(out.Topics) == 100 {
				out.NextToken = pageToken([]byte(out.Topics[99].TopicArn))
				return nil
			}
			out.Topics = append(out.Topics, member{string(k)})
			return nil
		}, topicsBucket)
	})
	return out, err
}

func (n *Notifications) deleteTopic(arn string) error {
	return n.db.db.Update(func(tx *bolt.Tx) error {
		if err := deleteKey(tx, arn, topicsBucket); err != nil {
			return err
		}
		var drop []string
		forEachJSON(tx, func(k, v []byte) error {
			var s snsSubscription
			if json.Unmarshal(v, &s) == nil && s.TopicArn == arn {
				drop = append(drop, string(k))
			}
			return nil
		}, subsBucket)
		for _, k := range drop {
			if err := deleteKey(tx, k, subsBucket); err != nil {
				return err
			}
		}
		return nil
	})
}

func (n *Notifications) topicAttributes(arn string) (any, error) {
	t, err := n.topic(arn)
	if err != nil {
		return nil, err
	}
	subs, _ := n.subscriptions(arn)
	confirmed, pending := 0, 0
	for _, s := range subs {
		if s.Pending {
			pending++
		} else {
			confirmed++
		}
	}
	return attributes("TopicArn", t.Arn, "Owner", n.account, "DisplayName", "",
		"SubscriptionsConfirmed", fmt.Sprint(confirmed), "SubscriptionsPending", fmt.Sprint(pending),
		"SubscriptionsDeleted", "0"), nil
}

func (n *Notifications) subscriptions(topic string) (out []snsSubscription, err error) {
	err = n.db.db.View(func(tx *bolt.Tx) error {
		out, err = subscriptionsIn(tx, topic)
		return err
	})
	return out, err
}

// subscriptionsIn reads topic's subscriptions, or all of them for "".
func subscriptionsIn(tx *bolt.Tx, topic string) ([]snsSubscription, error) {
	var out []snsSubscription
	err := forEachJSON(tx, func(_, v []byte) error {
		var s snsSubscription
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if topic == "" || s.TopicArn == topic {
			out = append(out, s)
		}
		return nil
	}, subsBucket)
	return out, err
}

func (n *Notifications) listSubscriptions(topic string) (any, error) {
	subs, err := n.subscriptions(topic)
	if err != nil {
		return nil, err
	}
	type member struct {
		SubscriptionArn string `xml:"SubscriptionArn"`
		Owner           string `xml:"Owner"`
		Protocol        string `xml:"Protocol"`
		Endpoint        string `xml:"Endpoint"`
		TopicArn        string `xml:"TopicArn"`
	}
	out := struct {
		Subscriptions []member `xml:"Subscriptions>member"`
	}{}
	for _, s := range subs {
		arn := s.Arn
		if s.Pending {
			arn = "PendingConfirmation"
		}
		out.Subscriptions = append(out.Subscriptions, member{arn, n.account, s.Protocol, s.Endpoint, s.TopicArn})
	}
	return out, nil
}

// subscribe subscribes endpoint to a topic, or answers with the subscription
// it already has, as SNS does. A new subscription is pending until the
// endpoint confirms; its ARN is answered only when returnArn asks for it.
func (n *Notifications) subscribe(topicArn, protocol, endpoint string, returnArn bool) (any, error) {
	if _, err := n.topic(topicArn); err != nil {
		return nil, err
	}
	switch protocol {
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol")
		}
	case "":
		return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Protocol")
	default:
		return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Amazon SNS local supports the http and https protocols, not %s", protocol)
	}
	answer := func(s snsSubscription) any {
		arn := s.Arn
		if s.Pending && !returnArn {
			arn = "pending confirmation"
		}
		return struct {
			SubscriptionArn string `xml:"SubscriptionArn"`
		}{arn}
	}
	// The lookup and the put share a transaction, so that two identical
	// Subscribes at once make one subscription.
	var old *snsSubscription
	s := snsSubscription{Arn: topicArn + ":" + newUUID(), TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, Token: randomHex(32), Pending: true}
	err := n.db.db.Update(func(tx *bolt.Tx) error {
		subs, err := subscriptionsIn(tx, topicArn)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.Protocol == protocol && sub.Endpoint == endpoint {
				old = &sub
				return nil
			}
		}
		return putJSON(tx, s.Arn, s, subsBucket)
	})
	if err != nil {
		return nil, err
	}
	if old != nil {
		return answer(*old), nil
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		doc := n.document("SubscriptionConfirmation", newUUID(), topicArn, "",
			"You have chosen to subscribe to the topic "+topicArn+".\nTo confirm the subscription, visit the SubscribeURL included in this message.", nil)
		doc["Token"] = s.Token
		doc["SubscribeURL"] = n.endpoint() + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicArn) + "&Token=" + s.Token
		n.post(s, doc)
	}()
	return answer(s), nil
}

// subscriptionAttributes answers GetSubscriptionAttributes with the
// attributes SNS always reports for an HTTP subscription.
func (n *Notifications) subscriptionAttributes(arn string) (any, error) {
	var s *snsSubscription
	if arn != "" {
		subs, err := n.subscriptions("")
		if err != nil {
			return nil, err
		}
		for i := range subs {
			if subs[i].Arn == arn {
				s = &subs[i]
			}
		}
	}
	if s == nil {
		return nil, apiErr(http.StatusNotFound, "NotFound", "Subscription does not exist")
	}
	return attributes(
		"SubscriptionArn", s.Arn, "TopicArn", s.TopicArn, "Owner", n.account, "Protocol", s.Protocol, "Endpoint", s.Endpoint,
		"PendingConfirmation", fmt.Sprint(s.Pending), "ConfirmationWasAuthenticated", "false", "RawMessageDelivery", "false",
		"SubscriptionPrincipal", "arn:aws:iam::"+n.account+":root"), nil
}

// attributes is the query protocol's attribute map: key, value pairs.
func attributes(kv ...string) any {
	type entry struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	out := struct {
		Attributes []entry `xml:"Attributes>entry"`
	}{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Attributes = append(out.Attributes, entry{kv[i], kv[i+1]})
	}
	return out
}

func (n *Notifications) confirm(topicArn, token string) (any, error) {
	var arn string
	err := n.db.db.Update(func(tx *bolt.Tx) error {
		var match *snsSubscription
		forEachJSON(tx, func(_, v []byte) error {
			var s snsSubscription
			if json.Unmarshal(v, &s) == nil && s.TopicArn == topicArn && s.Token == token {
				match = &s
			}
			return nil
		}, subsBucket)
		if match == nil {
			return apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid token")
		}
		match.Pending = false
		arn = match.Arn
		return putJSON(tx, match.Arn, match, subsBucket)
	})
	if err != nil {
		return nil, err
	}
	return struct {
		SubscriptionArn string `xml:"SubscriptionArn"`
	}{arn}, nil
}

func (n *Notifications) unsubscribe(arn string) error {
	return n.db.db.Update(func(tx *bolt.Tx) error { return deleteKey(tx, arn, subsBucket) })
}

// Publish stores the message in the log and POSTs it to every confirmed
// subscriber in the background. It returns the message ID.
func (n *Notifications) Publish(topicArn, subject, message string, attrs map[string]string) (string, error) {
	return n.publish(topicArn, subject, message, nil, attrs)
}

// messageStructure reads a Publish Message of MessageStructure json: an
// object of strings, one per protocol, with the "default" for the others.
func messageStructure(structure, message string) (map[string]string, error) {
	switch structure {
	case "":
		return nil, nil
	case "json":
	default:
		return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: MessageStructure")
	}
	var byProtocol map[string]string
	if err := json.Unmarshal([]byte(message), &byProtocol); err != nil {
		return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
	}
	if byProtocol["default"] == "" {
		return nil, apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
	}
	return byProtocol, nil
}

// publish is Publish with the messages of MessageStructure json: each
// subscriber gets its protocol's message, or message (the default); the log
// keeps the default.
func (n *Notifications) publish(topicArn, subject, message string, byProtocol, attrs map[string]string) (string, error) {
	if topicArn == "" {
		return "", apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	if message == "" {
		return "", apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Empty message")
	}
	if len(message) > 256*1024 {
		return "", apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message too long")
	}
	if len(subject) > 100 {
		return "", apiErr(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Subject")
	}
	if _, err := n.topic(topicArn); err != nil {
		return "", err
	}
	m := Message{MessageID: newUUID(), TopicArn: topicArn, Subject: subject, Message: message, Attributes: attrs, Time: time.Now().UTC()}
	if err := n.db.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketPath(tx, true, msgBucket)
		if err != nil {
			return err
		}
		seq, _ := b.NextSequence()
		raw, _ := json.Marshal(m)
		if err := b.Put([]byte(fmt.Sprintf("%016x", seq)), raw); err != nil {
			return err
		}
		for b.Stats().KeyN > n.LogSize {
			k, _ := b.Cursor().First()
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return "", err
	}
	subs, err := n.subscriptions(topicArn)
	if err != nil {
		return "", err
	}
	for _, s := range subs {
		if s.Pending {
			continue
		}
		n.wg.Add(1)
		go func(s snsSubscription) {
			defer n.wg.Done()
			text := message
			if v, ok := byProtocol[s.Protocol]; ok {
				text = v
			}
			doc := n.document("Notification", m.MessageID, topicArn, subject, text, attrs)
			doc["UnsubscribeURL"] = n.endpoint() + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(s.Arn)
			n.post(s, doc)
		}(s)
	}
	return m.MessageID, nil
}

// Messages returns the logged messages, newest first.
func (n *Notifications) Messages() ([]Message, error) {
	var out []Message
	err := n.db.db.View(func(tx *bolt.Tx) error {
		return forEachJSON(tx, func(_, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		}, msgBucket)
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, err
}

func (n *Notifications) document(typ, id, topicArn, subject, message string, attrs map[string]string) map[string]any {
	doc := map[string]any{
		"Type": typ, "MessageId": id, "TopicArn": topicArn, "Message": message,
		"Timestamp":        time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": "1",
		// The local stack has no AWS signing key; receivers that verify
		// signatures must skip verification for the local endpoint.
		"Signature":      "",
		"SigningCertURL": "",
	}
	if subject != "" {
		doc["Subject"] = subject
	}
	if len(attrs) > 0 {
		ma := map[string]any{}
		for k, v := range attrs {
			ma[k] = map[string]string{"Type": "String", "Value": v}
		}
		doc["MessageAttributes"] = ma
	}
	return doc
}

// post delivers one document with SNS's headers, retrying a few times as
// SNS's default HTTP delivery policy does (3 immediate retries, then backoff).
func (n *Notifications) post(s snsSubscription, doc map[string]any) {
	body, _ := json.Marshal(doc)
	delay := 20 * time.Millisecond
	for attempt := 1; attempt <= 6; attempt++ {
		req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, s.Endpoint, bytes.NewReader(body))
		if err != nil {
			n.log.Error("sns: bad endpoint", "endpoint", s.Endpoint, "err", err)
			return
		}
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		req.Header.Set("x-amz-sns-message-type", doc["Type"].(string))
		req.Header.Set("x-amz-sns-message-id", doc["MessageId"].(string))
		req.Header.Set("x-amz-sns-topic-arn", s.TopicArn)
		if !s.Pending {
			req.Header.Set("x-amz-sns-subscription-arn", s.Arn)
		}
		req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
		resp, err := n.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				return
			}
		}
		if attempt > 3 {
			select {
			case <-time.After(delay):
			case <-n.ctx.Done():
				return
			}
			delay *= 4
		}
	}
	n.log.Warn("sns: delivery failed", "endpoint", s.Endpoint, "topic", s.TopicArn)
}
