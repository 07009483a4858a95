package ops_test

import (
	"os"
	"testing"

	"github.com/wippidu/wippidu/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
