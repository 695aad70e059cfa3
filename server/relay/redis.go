package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// streamInfo is what XINFO STREAM says about a stream.
type streamInfo struct {
	exists        bool
	length        int64
	lastGenerated ID
	maxDeleted    ID // Redis 7.0 and later: the newest id removed by XDEL
	hasMaxDeleted bool
	entriesAdded  int64 // Redis 7.0 and later: entries ever added
	hasAdded      bool
	first         ID // the oldest entry kept
	hasFirst      bool
}

// streamInfo runs XINFO STREAM on key. A missing key is not an error: its
// info has exists false. The reply is parsed field by field, so that
// fields added by later Redis versions do no harm.
func (r *Relay) streamInfo(ctx context.Context, key string) (streamInfo, error) {
	v, err := r.rdb.Do(ctx, "XINFO", "STREAM", key).Slice()
	if err != nil {
		if isNoSuchKey(err) {
			return streamInfo{}, nil
		}
		return streamInfo{}, err
	}
	return parseStreamInfo(v)
}

func isNoSuchKey(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Error()), "no such key")
}

func parseStreamInfo(v []any) (streamInfo, error) {
	info := streamInfo{exists: true}
	if len(v)%2 != 0 {
		return info, fmt.Errorf("relay: XINFO STREAM reply of odd length %d", len(v))
	}
	for i := 0; i < len(v); i += 2 {
		k, _ := v[i].(string)
		switch k {
		case "length":
			info.length, _ = v[i+1].(int64)
		case "last-generated-id":
			id, err := ParseID(toString(v[i+1]))
			if err != nil {
				return info, fmt.Errorf("relay: XINFO STREAM last-generated-id %q: %w", toString(v[i+1]), err)
			}
			info.lastGenerated = id
		case "max-deleted-entry-id":
			if id, err := ParseID(toString(v[i+1])); err == nil {
				info.maxDeleted, info.hasMaxDeleted = id, true
			}
		case "entries-added":
			info.entriesAdded, info.hasAdded = v[i+1].(int64)
		case "first-entry":
			if e, ok := v[i+1].([]any); ok && len(e) > 0 {
				if id, err := ParseID(toString(e[0])); err == nil {
					info.first, info.hasFirst = id, true
				}
			}
		}
	}
	return info, nil
}

// lostThrough decides whether a subscriber positioned at cursor, older
// than the cache (which holds every entry after base), missed entries that
// Redis no longer has, and through which id: the "lost" notice carries
// that id, so a client reconnecting after it is not told twice.
//
// Entries go two ways. Trimming (MAXLEN, MINID) removes the oldest ones:
// whatever came before the first entry kept is gone, if anything was ever
// removed (Redis 7.0 and later count the entries added; before 7.0 this is
// assumed). XDEL removes any entry: Redis 7.0 and later remember the
// newest id deleted so. The notice's id is the newest id that may have
// been removed after cursor, capped at base (the cache has the rest).
func lostThrough(cursor ID, info streamInfo, base ID) (ID, bool) {
	if !info.exists {
		// The key is gone, with what the reader had cached up to base.
		return base, cursor.Less(base)
	}
	var through ID
	lost := false
	if info.hasMaxDeleted && cursor.Less(info.maxDeleted) {
		through, lost = info.maxDeleted, true
	}
	if !info.hasAdded || info.entriesAdded > info.length {
		head := info.lastGenerated // empty stream: everything was removed
		if info.hasFirst {
			head = info.first.Prev()
		}
		if cursor.Less(head) {
			lost = true
			if through.Less(head) {
				through = head
			}
		}
	}
	if base.Less(through) {
		through = base
	}
	return through, lost
}

// lostCount says how many entries after cursor up to through are gone,
// and whether the count is exact (else it is a lower bound, at least 1).
// Redis keeps no count of what it removed between two ids; the channel's
// index of the ids its reader read does, when it reaches back to cursor.
// From the very start of a stream (cursor 0-0), Redis 7's entries-added
// less the length counts every entry trimmed. Exact also needs that no
// entry after cursor was deleted with XDEL (Redis 7's
// max-deleted-entry-id): deleted entries sit between kept ones, and one
// deleted before the reader read it is in no index. Before Redis 7 that
// cannot be known, so counts are lower bounds there.
func lostCount(cursor, through ID, info streamInfo, seen *idIndex) (missed uint64, exact bool) {
	noXDel := info.exists && info.hasMaxDeleted && !cursor.Less(info.maxDeleted)
	head := info.lastGenerated // the newest id trimmed (everything, when empty)
	if info.hasFirst {
		head = info.first.Prev()
	}
	if cursor.IsZero() && noXDel && info.hasAdded && through == head && info.entriesAdded >= info.length {
		return uint64(info.entriesAdded - info.length), true
	}
	n, covered := seen.count(cursor, through)
	if covered && noXDel && n > 0 {
		return n, true
	}
	return max(n, 1), false
}
