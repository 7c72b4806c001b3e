package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/corral-logs/corral/agent/config"
)

// fileState is what the path checks learnt, for the inotify check.
type fileState struct {
	watches int // directories the file sources would watch, each its own
	sources int // file sources: one inotify instance each
}

// maxListed is how many unreadable files a result names.
const maxListed = 3

// checkSources checks every source: each path pattern of a file source,
// and the journal of a journald source. A pattern that several sources
// share (with the same excludes) gets one line.
func (r *run) checkSources(ctx context.Context) {
	seen := make(map[string]map[string]bool) // pattern and excludes: its directories
	for _, sc := range r.cfg.Sources {
		switch sc.Type {
		case config.SourceFile:
			r.files.sources++
			watched := make(map[string]bool)
			for _, pattern := range sc.Paths {
				key := strings.Join(append([]string{pattern}, sc.Exclude...), "\x00")
				dirs, done := seen[key]
				if !done {
					dirs = make(map[string]bool)
					seen[key] = dirs
					r.add(r.checkPattern(pattern, sc.Exclude, dirs))
				}
				maps.Copy(watched, dirs)
			}
			r.files.watches += len(watched)
		case config.SourceJournald:
			r.add(r.checkJournal(ctx, sc))
		case config.SourceS3:
			// Limitation: doctor does not yet check an s3 source's queue or
			// bucket (sqs:ReceiveMessage, s3:GetObject); corral logs their
			// refusals at run.
			r.add(Result{Name: "s3", Status: Skip,
				Detail: "source " + sc.Name + ": queue and bucket not checked by doctor yet"})
		}
	}
}

// checkPattern globs pattern as the file source does and opens every
// match, counting the files and naming those it cannot read. It adds to
// dirs the directories the source would watch for it: the glob's root and
// the directory of each file.
func (r *run) checkPattern(pattern string, exclude []string, dirs map[string]bool) Result {
	res := Result{Name: "path"}
	base, _ := doublestar.SplitPattern(filepath.ToSlash(pattern))
	dirs[filepath.FromSlash(base)] = true

	matches, globErr := doublestar.FilepathGlob(pattern,
		doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
	if globErr != nil {
		// As the source does: note the directory it cannot list, then
		// glob leniently.
		matches, _ = doublestar.FilepathGlob(pattern, doublestar.WithFilesOnly())
	}
	var files, unreadable int
	var bad []string
	var firstBad string
	for _, path := range matches {
		if excluded(path, exclude) {
			continue
		}
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		files++
		dirs[filepath.Dir(path)] = true
		if err := readable(path); err != nil {
			unreadable++
			if firstBad == "" {
				firstBad = path
			}
			if len(bad) < maxListed {
				bad = append(bad, fmt.Sprintf("%s (%s)", path, reason(err)))
			}
		}
	}

	switch {
	case globErr != nil:
		res.Status = Fail
		dir := filepath.Join(filepath.FromSlash(base), globPath(globErr))
		res.Detail = fmt.Sprintf("%s: cannot list %s: %s", pattern, dir, reason(globErr))
		if files > 0 {
			ok := files - unreadable
			res.Detail += fmt.Sprintf("; %d %s readable elsewhere", ok, plural(ok, "file", "files"))
		}
		res.Advice = permissionAdvice(dir)
	case unreadable > 0:
		res.Status = Fail
		res.Detail = fmt.Sprintf("%s: %d of %d %s unreadable: %s", pattern, unreadable, files,
			plural(files, "file", "files"), strings.Join(bad, ", "))
		if unreadable > len(bad) {
			res.Detail += ", …"
		}
		res.Advice = permissionAdvice(firstBad)
	case files == 0:
		res.Status = Warn
		res.Detail = pattern + ": no file matches"
		if _, err := os.Stat(filepath.FromSlash(base)); errors.Is(err, fs.ErrNotExist) {
			res.Detail += fmt.Sprintf(" (%s does not exist)", filepath.FromSlash(base))
		}
		res.Advice = "check the pattern; corral picks files up when they appear"
	default:
		res.Status = OK
		res.Detail = fmt.Sprintf("%s: %d %s readable", pattern, files, plural(files, "file", "files"))
	}
	return res
}

// readable opens path and reads a byte, as corral's tailer will.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// excluded reports whether path matches an exclude pattern, as the file
// source decides: a pattern without "/" matches the base name.
func excluded(path string, exclude []string) bool {
	for _, p := range exclude {
		name := path
		if !strings.Contains(p, "/") {
			name = filepath.Base(path)
		}
		if ok, _ := doublestar.Match(p, name); ok {
			return true
		}
	}
	return false
}

// reason is the system's reason in err, without the path it names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// globPath is the path of the directory a glob could not list, relative
// to the glob's base directory.
func globPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}

// permissionAdvice says how to let corral read path, a file or a
// directory, naming the group that owns it when that group is not root's.
func permissionAdvice(path string) string {
	const generic = "let the user corral runs as read them: " +
		"add it to the group that owns them (adm for /var/log, systemd-journal for the journal; " +
		"SupplementaryGroups= in corral's systemd unit), or make them group-readable"
	st, err := os.Stat(path)
	if err != nil {
		return generic
	}
	mode := "g+r"
	if st.IsDir() {
		mode = "g+rx" // listing a directory takes both
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Gid == 0 {
		return "make them readable to the user corral runs as: " +
			"chgrp them to a group it is in (such as adm) and chmod " + mode
	}
	group := strconv.FormatUint(uint64(sys.Gid), 10)
	if g, err := user.LookupGroupId(group); err == nil {
		group = g.Name
	}
	return fmt.Sprintf("add the user corral runs as to group %s "+
		"(SupplementaryGroups=%s in its systemd unit), or make them readable to it", group, group)
}

// minSystemd is the oldest systemd whose journalctl corral can follow.
const minSystemd = 236

var systemdVersion = regexp.MustCompile(`^systemd (\d+)`)

// checkJournal runs journalctl as the source would (its directory, no
// entries) and reads what it says on standard error.
func (r *run) checkJournal(ctx context.Context, sc config.Source) Result {
	res := Result{Name: "journal"}
	where := "the system journal"
	if sc.Directory != "" {
		where = sc.Directory
	}
	bin, err := exec.LookPath(r.opts.Journalctl)
	if err != nil {
		res.Status, res.Detail = Fail, fmt.Sprintf("source %s: journalctl not found on the PATH", sc.Name)
		res.Advice = "install systemd's journalctl (systemd 236 or later), or remove the journald source"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	version := ""
	if out, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil {
		if m := systemdVersion.FindSubmatch(out); m != nil {
			version = string(m[1])
		}
	}
	args := []string{"-n", "0", "--no-pager"}
	if sc.Directory != "" {
		args = append(args, "--directory", sc.Directory)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	said := firstLine(stderr.String())

	if n, err := strconv.Atoi(version); err == nil && n < minSystemd {
		res.Status, res.Detail = Fail, fmt.Sprintf("source %s: systemd %d is too old", sc.Name, n)
		res.Advice = fmt.Sprintf("corral follows the journal with systemd %d or later: upgrade systemd",
			minSystemd)
		return res
	}
	lower := strings.ToLower(stderr.String())
	switch {
	case strings.Contains(lower, "insufficient permissions"),
		strings.Contains(lower, "not seeing messages"):
		res.Status = Fail
		res.Detail = fmt.Sprintf("source %s: cannot read %s as uid %d: %s",
			sc.Name, where, os.Geteuid(), said)
		res.Advice = "add the user corral runs as to group systemd-journal " +
			"(SupplementaryGroups=systemd-journal in its systemd unit)"
	case runErr != nil:
		res.Status = Fail
		res.Detail = fmt.Sprintf("source %s: journalctl failed on %s: %v", sc.Name, where, runErr)
		if said != "" {
			res.Detail += ": " + said
		}
		res.Advice = "run journalctl -n 0 as corral's user to see why; check directory"
	case strings.Contains(lower, "no journal files"):
		res.Status = Warn
		res.Detail = fmt.Sprintf("source %s: no journal files in %s", sc.Name, where)
		res.Advice = "check that systemd-journald runs and stores the journal " +
			"(Storage= in journald.conf); in a container, " +
			"mount /var/log/journal and /run/log/journal read-only"
		if sc.Directory != "" {
			res.Advice = "check directory: it should hold the *.journal files to read"
		}
	default:
		res.Status = OK
		res.Detail = fmt.Sprintf("source %s: journalctl reads %s", sc.Name, where)
		if version != "" {
			res.Detail += " (systemd " + version + ")"
		}
	}
	return res
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}
