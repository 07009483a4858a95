package transfer

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// CommonTokensTable is the dump's first table when the export counted the common
// tokens of the kept free text: one row per token, with the least number of
// people who wrote it ([token, writers]). It is no app table: an import of an
// older release skips it (and lists it among the skipped tables), an import of
// this one reads it first, as its allow-list. The list goes into a table rather
// than the header because header values are short.
const CommonTokensTable = "wippidu_common_tokens"

// census counts, in the export's snapshot, which words and numbers of the kept
// free text at least anonymizer.CommonWriters people wrote: the allow-list the
// import rebuilds that text by, written as the dump's first table. The export can
// ask production's tables directly, so this reads the few columns it needs (who
// wrote each row, and the free text) rather than the dump; an import of a dump
// without the list must read the whole file once more to count them (readPeople).
func census(ctx context.Context, tx pgx.Tx, cat *schema.Catalog, policy *anonymizer.Policy) ([]string, error) {
	c := anonymizer.NewCensus()
	for _, ct := range policy.CensusTables(cat) {
		cols := make([]string, len(ct.Columns))
		for i, name := range ct.Columns {
			cols[i] = pgx.Identifier{name}.Sanitize() + "::text"
		}
		rows, err := tx.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+pgx.Identifier{ct.Table}.Sanitize(),
			pgx.QueryResultFormats{pgx.TextFormatCode})
		if err != nil {
			return nil, fmt.Errorf("count the common words of table %q: %w", ct.Table, err)
		}
		for rows.Next() {
			c.Add(ct, rows.RawValues())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count the common words of table %q: %w", ct.Table, err)
		}
	}
	return c.Common(), nil
}

// writeCommonTokens writes the common tokens as the dump's first table. A token is
// letters or digits alone, so its COPY text needs no escaping.
func writeCommonTokens(dw *dump.Writer, tokens []string) error {
	tw, err := dw.BeginTable(CommonTokensTable, []dump.Column{{Name: "token", Type: "text"}, {Name: "writers", Type: "integer"}})
	if err != nil {
		return err
	}
	k := strconv.Itoa(anonymizer.CommonWriters)
	var b []byte
	for _, tok := range tokens {
		b = append(append(append(append(b[:0], tok...), '\t'), k...), '\n')
		if _, err := tw.Write(b); err != nil {
			return fmt.Errorf("table %q: %w", CommonTokensTable, err)
		}
	}
	return tw.Close()
}

// readCommonTokens reads the common tokens table: the tokens at least k people
// wrote, where k is the least count of any row; 0 when a row is not [token,
// count]. An empty list lets nothing through, whatever k it was counted with.
func readCommonTokens(r *dump.Reader, dt *dump.Table) ([]string, int, error) {
	if len(dt.Columns) != 2 {
		return nil, 0, nil
	}
	tokens, k := []string{}, math.MaxInt32
	for {
		row, err := r.NextRow()
		if err == io.EOF {
			return tokens, k, nil
		}
		if err != nil {
			return nil, 0, badDump(err)
		}
		n, err := strconv.Atoi(string(row[1].Data))
		if row[0].Type != dump.String || row[1].Type != dump.Number || err != nil {
			return nil, 0, nil
		}
		k = min(k, n)
		tokens = append(tokens, string(row[0].Data))
	}
}
