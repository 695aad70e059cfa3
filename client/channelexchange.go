package client

// Exchanges appends the channel's last connection attempts, oldest first,
// to dst (see Stream.Exchanges): what a Connection view shows. A
// reconfigured channel starts a new history.
func (c *Channel) Exchanges(dst []Exchange) []Exchange {
	return c.currentStream().Exchanges(dst)
}
