package doctor

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// closeToLimit is the share of an inotify limit past which doctor warns:
// the limits are per user, so other programs of corral's user share them.
const closeToLimit = 0.8

// checkInotify compares what the file sources would watch (the root
// directory of each glob and the directory of each file, one inotify
// instance per source) plus what this user's processes already hold,
// with the kernel's per-user limits.
func (r *run) checkInotify() {
	res := Result{Name: "inotify"}
	if r.files.sources == 0 {
		res.Status, res.Detail = Skip, "no file sources"
		r.add(res)
		return
	}
	sys := filepath.Join(r.opts.Root, "proc", "sys", "fs", "inotify")
	maxWatches, err1 := readInt(filepath.Join(sys, "max_user_watches"))
	maxInstances, err2 := readInt(filepath.Join(sys, "max_user_instances"))
	if err1 != nil || err2 != nil {
		res.Status, res.Detail = Skip, "cannot read the limits in "+sys
		r.add(res)
		return
	}
	uid := os.Geteuid()
	usedWatches, usedInstances := inotifyInUse(filepath.Join(r.opts.Root, "proc"), uid)
	needWatches, needInstances := r.files.watches, r.files.sources
	res.Detail = fmt.Sprintf("%d %s to watch in %d %s; uid %d already holds %d %s in %d %s; "+
		"limits per user: %d watches, %d instances",
		needWatches, plural(needWatches, "directory", "directories"), needInstances,
		plural(needInstances, "instance", "instances"), uid,
		usedWatches, plural(usedWatches, "watch", "watches"),
		usedInstances, plural(usedInstances, "instance", "instances"), maxWatches, maxInstances)

	var raise []string
	if w := needWatches + usedWatches; float64(w) > closeToLimit*float64(maxWatches) {
		raise = append(raise, fmt.Sprintf("fs.inotify.max_user_watches=%d", suggest(w, maxWatches)))
	}
	if n := needInstances + usedInstances; float64(n) > closeToLimit*float64(maxInstances) {
		raise = append(raise, fmt.Sprintf("fs.inotify.max_user_instances=%d", suggest(n, maxInstances)))
	}
	if len(raise) == 0 {
		res.Status = OK
		r.add(res)
		return
	}
	res.Status = Warn
	res.Advice = fmt.Sprintf("close to or over the limit, corral polls directories instead: "+
		"raise it with sysctl -w %s, and keep it in /etc/sysctl.d/", strings.Join(raise, " "))
	r.add(res)
}

// suggest returns a new limit with room for need: at least twice the
// current one.
func suggest(need, limit int) int {
	return max(2*limit, 2*need)
}

// inotifyInUse counts the inotify watches and instances held by the
// processes of uid that doctor can see (all of them as root). A running
// corral is counted too.
func inotifyInUse(proc string, uid int) (watches, instances int) {
	pids, err := os.ReadDir(proc)
	if err != nil {
		return 0, 0
	}
	for _, p := range pids {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		dir := filepath.Join(proc, p.Name())
		st, err := os.Stat(dir)
		if err != nil {
			continue
		}
		if s, ok := st.Sys().(*syscall.Stat_t); !ok || int(s.Uid) != uid {
			continue
		}
		fds, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if err != nil || target != "anon_inode:inotify" {
				continue
			}
			instances++
			watches += countWatches(filepath.Join(dir, "fdinfo", fd.Name()))
		}
	}
	return watches, instances
}

// countWatches counts the "inotify wd:" lines of an fdinfo file: one per
// watch.
func countWatches(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "inotify wd:") {
			n++
		}
	}
	return n
}

// readInt reads a file holding one integer, such as a sysctl.
func readInt(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}
