package wippidu

import (
	"fmt"
	"strconv"
)

// FormatCount formats a count for people: 184220 as "184,220". The page, the job
// status and the command line all use it, so a figure reads the same everywhere.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		b = append(b, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// FormatBytes formats a byte count for people, in binary units (KiB, MiB, GiB):
// one unit system for the page, the job status and the command line.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit || m <= -unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// phaseLabels name the phases for people.
var phaseLabels = map[Phase]string{
	PhaseExporting:   "Exporting",
	PhaseReading:     "Reading the file",
	PhasePeople:      "Reading the people",
	PhasePreparing:   "Preparing",
	PhaseLoading:     "Loading",
	PhaseIndexes:     "Building indexes",
	PhaseForeignKeys: "Checking foreign keys",
	PhaseSequences:   "Resetting sequences",
	PhaseLeakCheck:   "Checking for leaks",
	PhaseCommitting:  "Committing",
	PhaseSampling:    "Reading the first rows, then rolling back",
	PhaseRecording:   "Recording the result",
	PhaseDone:        "Done",
}

// PhaseLabel is a phase's name for people; an unknown phase is shown as it is.
func PhaseLabel(phase Phase) string {
	if l, ok := phaseLabels[phase]; ok {
		return l
	}
	return string(phase)
}

// Share of the whole import, in percent, at which each phase begins. Loading takes
// most of the time; building the indexes and checking foreign keys read every
// loaded row once more.
var importPhaseStart = map[Phase]float64{
	PhaseReading:     0,
	PhasePreparing:   0.5,
	PhasePeople:      1,
	PhaseLoading:     3,
	PhaseIndexes:     78,
	PhaseForeignKeys: 85,
	PhaseSequences:   95,
	PhaseLeakCheck:   96,
	PhaseCommitting:  98,
	PhaseSampling:    98,
	PhaseRecording:   99,
	PhaseDone:        100,
}

// Percent is how far a job is, from 0 to 100, for a progress bar: rows and bytes
// of the whole job, and the steps of the phases after the load. bytesTotal is the
// dump's size for an import (0 for an export, whose size is known only at the end).
func (p Progress) Percent(kind Kind, bytesTotal int64) float64 {
	if p.Phase == PhaseDone {
		return 100
	}
	if kind == KindExport {
		if p.Phase == PhaseRecording {
			return 99
		}
		return 99 * share(p.RowsDone, p.RowsTotal)
	}
	start, ok := importPhaseStart[p.Phase]
	if !ok {
		return 0
	}
	var within float64
	switch p.Phase {
	case PhaseLoading:
		// Rows and bytes count alike: a table of many small rows moves the bar as
		// much as a table of few large ones.
		rows, bytes := share(p.RowsDone, p.RowsTotal), share(p.BytesDone, bytesTotal)
		switch {
		case p.RowsTotal > 0 && bytesTotal > 0:
			within = (rows + bytes) / 2
		case p.RowsTotal > 0:
			within = rows
		default:
			within = bytes
		}
	default:
		within = share(int64(p.Step), int64(p.Steps))
	}
	end := nextPhaseStart(start)
	return start + (end-start)*within
}

// share is done/total clamped to [0, 1], and 0 when the total is unknown.
func share(done, total int64) float64 {
	if total <= 0 || done <= 0 {
		return 0
	}
	if done >= total {
		return 1
	}
	return float64(done) / float64(total)
}

// nextPhaseStart is where the phase after the one starting at start begins.
func nextPhaseStart(start float64) float64 {
	end := 100.0
	for _, s := range importPhaseStart {
		if s > start && s < end {
			end = s
		}
	}
	return end
}
