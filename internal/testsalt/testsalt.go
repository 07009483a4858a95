// Package testsalt gives tests an ANONYMIZER_SALT that wippidu accepts: 32 bytes,
// hex-encoded. The salts are fixed, so that a test that depends on which fake name
// a row gets fails the same way on every run; being published here, they are
// for tests alone, never for an instance.
package testsalt

// Salt is the salt of the tests.
const Salt = "9f1c2e7a4b8d0f3e6a5c1b9d7e2f4a8c0b6d3e9f1a7c5b2d8e4f0a6c3b9d1e7f"

// Other is a second salt, for tests that compare two.
const Other = "3a7e9c1f5b0d8e2a6c4f1b9e7d3a5c0f8b2e6d4a1c9f7b3e5d0a8c2f6b4e1d9a"
