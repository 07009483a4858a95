package web

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// clientAddr is where a request came from. It is the connection's peer, unless the
// peer is one of TRUSTED_PROXIES: then X-Forwarded-For is read from the right
// (each proxy appends the address it was reached from), skipping the trusted
// proxies, and the first address that is not one is the client. A header a client
// wrote itself stands to the left of what the proxies appended, so it is never
// believed. Without trusted proxies, forwarded headers are ignored.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := remoteAddr(r)
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			// A malformed hop: the last address the proxies vouched for is the client.
			return addr
		}
		addr = hop.Unmap()
		if !isTrusted(addr, trusted) {
			return addr
		}
	}
	return addr
}

// remoteAddr is the connection's peer address.
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	return a.IsValid() && slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a) })
}

// forwardedHops splits X-Forwarded-For headers (several headers count as one
// list, in order) into addresses, with any port or brackets removed.
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimSpace(h)
			if ap, err := netip.ParseAddrPort(h); err == nil {
				h = ap.Addr().String()
			}
			hops = append(hops, strings.Trim(h, "[]"))
		}
	}
	return hops
}

// clientIP is clientAddr as text, for logs and audit rows.
func (s *Server) clientIP(r *http.Request) string {
	if a := clientAddr(r, s.app.TrustedProxies); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}
