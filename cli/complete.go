package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// CompleteList completes a flag whose value is a comma-separated list of values
// (--keep emails,names): each value once, after those already typed.
func CompleteList(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		typed, prefix := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			typed, prefix = toComplete[:i+1], toComplete[i+1:]
		}
		had := strings.Split(typed, ",")
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, prefix) && !contains(had, v) {
				out = append(out, typed+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
