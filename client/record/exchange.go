package record

import "github.com/ssemon/ssemon/client"

// MaskExchange returns a copy of x with its secrets masked, by the rules of
// MaskURL, MaskHeaders and MaskText: the URL's user information and token
// parameters, Authorization, Cookie, Set-Cookie and token-like headers of
// the request and the response, and key=value secrets in the request body
// preview and the response body preview. x itself is not changed.
func MaskExchange(x client.Exchange) client.Exchange {
	x.Request.URL = MaskURL(x.Request.URL)
	x.Request.Header = MaskHeaders(x.Request.Header)
	x.Request.BodyPreview = MaskText(x.Request.BodyPreview)
	x.Err = MaskText(x.Err)
	if x.Response != nil {
		r := *x.Response
		r.Header = MaskHeaders(r.Header)
		r.BodyPreview = MaskText(r.BodyPreview)
		x.Response = &r
	}
	return x
}
