//go:build !unix

package s3test

import "errors"

// lockFile is only implemented on unix; elsewhere set $VERSITYGW.
func lockFile(string) (func(), error) {
	return nil, errors.New("installing versitygw needs a unix system; set $VERSITYGW to its path")
}
