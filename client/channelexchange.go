package client

// Exchanges appends the channel's last connection attempts, oldest first,
// to dst (see Stream.Exchanges): what a Connection view shows. A
// reconfigured channel starts a new history; a channel without a stream
// (a recording) has none.
func (c *Channel) Exchanges(dst []Exchange) []Exchange {
	if s := c.currentStream(); s != nil {
		return s.Exchanges(dst)
	}
	return dst
}
