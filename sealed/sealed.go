// Package sealed encrypts dumps with age (filippo.io/age) as they are written, and
// decrypts them as they are read.
//
// A dump holds production's personal data. With EXPORT_RECIPIENTS set, production
// encrypts each export to those age public keys on its way into storage, so the
// file is useless without one of the matching secret keys: in the bucket, in a
// browser's download folder, on a laptop. Staging's workers hold such a key
// (IMPORT_IDENTITY) and decrypt the dump as the import reads it; nothing is ever
// written in the clear.
//
// An encrypted dump is the age file of the gzip dump, named like the dump with
// ".age" appended. It is recognised by age's header line, not by its name, so a
// renamed file is still read correctly:
//
//	recips, err := sealed.ParseRecipients(cfg.ExportRecipients) // nil when unset
//	w, err := recips.Encrypt(dst)                              // write the dump to w, then Close it
//
//	dec, err := sealed.NewDecrypter(cfg.ImportIdentity) // nil when unset
//	plain, err := dec.Plain(src)                        // src in the clear, encrypted or not
//
// age authenticates every 64 KiB chunk: a wrong key is refused when the header is
// read, and a damaged or altered chunk when the reader reaches it, with an error
// that says so (wippidu.ErrWrongIdentity, wippidu.DumpDamaged). An import reads
// its dump in one transaction, so one that fails late rolls back whole.
package sealed

import (
	"bytes"
	"strings"
)

// Ext is appended to the file name of an encrypted dump.
const Ext = ".age"

// Magic is the first line of every age file (age's binary format, not its ASCII
// armor, which dumps never use).
const Magic = "age-encryption.org/v1\n"

// IsSealed reports whether a file that begins with prefix is an age file.
func IsSealed(prefix []byte) bool {
	return bytes.HasPrefix(prefix, []byte(Magic))
}

// IsSealedName reports whether a file name is that of an encrypted dump. Storage
// listings use it, where reading every file's first bytes would cost a request
// each; what a file is read as is decided by its header alone.
func IsSealedName(name string) bool {
	return strings.HasSuffix(name, Ext)
}
