package local

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// stateDB is the bbolt file holding rules, topics, state machines, executions
// and their history: everything but object bytes.
type stateDB struct{ db *bolt.DB }

func openStateDB(dir string) (*stateDB, error) {
	// The hashmap freelist finds free pages without scanning them all, as
	// the array one does at every allocation of a commit.
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	return &stateDB{db: db}, nil
}

func (s *stateDB) Close() error { return s.db.Close() }

func bucketPath(tx *bolt.Tx, create bool, path ...string) (*bolt.Bucket, error) {
	var b *bolt.Bucket
	for i, p := range path {
		var next *bolt.Bucket
		var err error
		switch {
		case i == 0 && create:
			next, err = tx.CreateBucketIfNotExists([]byte(p))
		case i == 0:
			next = tx.Bucket([]byte(p))
		case create:
			next, err = b.CreateBucketIfNotExists([]byte(p))
		default:
			next = b.Bucket([]byte(p))
		}
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, nil
		}
		b = next
	}
	return b, nil
}

func putJSON(tx *bolt.Tx, key string, v any, path ...string) error {
	b, err := bucketPath(tx, true, path...)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// getJSON reads key into v; found is false when it is absent.
func getJSON(tx *bolt.Tx, key string, v any, path ...string) (bool, error) {
	b, err := bucketPath(tx, false, path...)
	if err != nil || b == nil {
		return false, err
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func deleteKey(tx *bolt.Tx, key string, path ...string) error {
	b, err := bucketPath(tx, false, path...)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

// forEachJSON calls fn with every raw value under path, in key order.
func forEachJSON(tx *bolt.Tx, fn func(k, v []byte) error, path ...string) error {
	b, err := bucketPath(tx, false, path...)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil { // nested bucket
			return nil
		}
		return fn(k, v)
	})
}
