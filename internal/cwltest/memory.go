package cwltest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// group is a log group held in memory.
type group struct {
	name      string
	created   int64 // ms
	retention int   // days; 0 for none
	streams   map[string]*stream
}

// stream is a log stream held in memory.
type stream struct {
	name          string
	created       int64 // ms
	records       []record
	count         count
	first, last   int64 // event timestamps, ms
	lastIngestion int64 // ms
}

// record is a stored event with the time the fake took it.
type record struct {
	Event
	ingestion int64 // ms
}

func (g *group) streamNames() []string {
	names := make([]string, 0, len(g.streams))
	for name := range g.streams {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// params holds the request members of the operations other than
// PutLogEvents that the fake reads.
type params struct {
	LogGroupName        string  `json:"logGroupName"`
	LogGroupIdentifier  string  `json:"logGroupIdentifier"`
	LogStreamName       string  `json:"logStreamName"`
	LogGroupNamePrefix  string  `json:"logGroupNamePrefix"`
	LogStreamNamePrefix string  `json:"logStreamNamePrefix"`
	OrderBy             string  `json:"orderBy"`
	Descending          bool    `json:"descending"`
	NextToken           string  `json:"nextToken"`
	StartTime           *int64  `json:"startTime"`
	EndTime             *int64  `json:"endTime"`
	RetentionInDays     *int    `json:"retentionInDays"`
	KmsKeyID            *string `json:"kmsKeyId"`
}

// check returns why the service would refuse op with p as invalid, or "".
func (p *params) check(op string) string {
	switch op {
	case "CreateLogGroup":
		return checkGroupName(p.LogGroupName)
	case "CreateLogStream":
		if msg := checkGroupName(p.LogGroupName); msg != "" {
			return msg
		}
		return checkStreamName(p.LogStreamName)
	case "PutRetentionPolicy":
		if p.RetentionInDays == nil || !retentionDays[*p.RetentionInDays] {
			return fmt.Sprintf("1 validation error detected: Value at 'retentionInDays' failed to satisfy "+
				"constraint: Member must satisfy enum value set: %v", retentionList())
		}
	}
	return ""
}

func retentionList() []int {
	var days []int
	for d := range retentionDays {
		days = append(days, d)
	}
	slices.Sort(days)
	return days
}

// groupName returns the group a request names, by name or by identifier
// (a name or an ARN).
func (p *params) groupName() string {
	if p.LogGroupName != "" {
		return p.LogGroupName
	}
	id := p.LogGroupIdentifier
	if _, name, ok := strings.Cut(id, ":log-group:"); ok {
		return strings.TrimSuffix(name, ":*")
	}
	return id
}

// refusal is an error answer of the service.
type refusal struct{ errType, msg string }

var (
	noGroup  = &refusal{errNotFound, "The specified log group does not exist."}
	noStream = &refusal{errNotFound, "The specified log stream does not exist."}
)

// serveMemory answers a valid request from the fake's own store.
func (s *Server) serveMemory(w http.ResponseWriter, ex *exchange) {
	var (
		answer any = struct{}{}
		no     *refusal
	)
	p := &ex.params
	switch ex.op {
	case "PutLogEvents":
		answer, no = s.putLogEvents(ex.put)
	case "CreateLogGroup":
		no = s.createLogGroup(p.LogGroupName)
	case "CreateLogStream":
		no = s.createLogStream(p.LogGroupName, p.LogStreamName)
	case "DeleteLogGroup":
		no = s.deleteLogGroup(p.groupName())
	case "PutRetentionPolicy":
		no = s.putRetentionPolicy(p.groupName(), *p.RetentionInDays)
	case "DescribeLogGroups":
		answer = s.describeLogGroups(p.LogGroupNamePrefix)
	case "DescribeLogStreams":
		answer, no = s.describeLogStreams(p)
	case "GetLogEvents":
		answer, no = s.getLogEvents(p)
	default:
		no = &refusal{errUnknownOperation, "cwltest does not implement " + ex.op}
	}
	if no != nil {
		s.writeError(w, ex, http.StatusBadRequest, no.errType, no.msg)
		return
	}
	s.writeJSON(w, ex, answer)
}

// putLogEvents stores the events of a valid request that fall inside the
// service's window and says which it refused.
func (s *Server) putLogEvents(p *putRequest) (any, *refusal) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p.LogGroupName]
	if g == nil {
		return nil, noGroup
	}
	st := g.streams[p.LogStreamName]
	if st == nil {
		return nil, noStream
	}
	r := window(p.LogEvents, now, g.retention)
	taken := p.LogEvents[r.expiredEnd:r.tooNewStart]
	s.acceptLocked(p.LogGroupName, p.LogStreamName, st, taken, now.UnixMilli())
	return putAnswer{RejectedLogEventsInfo: r.info(len(p.LogEvents))}, nil
}

// putAnswer is the PutLogEvents answer. It carries no nextSequenceToken: the
// service ignores sequence tokens, and corral must not need one.
type putAnswer struct {
	RejectedLogEventsInfo *rejectedInfo `json:"rejectedLogEventsInfo,omitempty"`
}

// acceptLocked counts evs as taken for a stream, hands them to OnEvent, and
// keeps them in st unless st is nil (no store) or the fake discards events.
func (s *Server) acceptLocked(group, streamName string, st *stream, evs []Event, ingestion int64) {
	if len(evs) == 0 {
		return
	}
	var n int64
	for _, ev := range evs {
		n += int64(len(ev.Message) + eventOverhead)
		if s.opts.OnEvent != nil {
			s.opts.OnEvent(group, streamName, ev)
		}
	}
	key := streamKey{group, streamName}
	c := s.counts[key]
	if c == nil {
		c = &count{}
		s.counts[key] = c
	}
	c.events += int64(len(evs))
	c.bytes += n
	s.total.events += int64(len(evs))
	s.total.bytes += n
	if st == nil {
		return
	}

	if st.count.events == 0 {
		st.first = evs[0].Timestamp
	}
	st.count.events += int64(len(evs))
	st.count.bytes += n
	st.last = max(st.last, evs[len(evs)-1].Timestamp)
	st.lastIngestion = ingestion
	if s.opts.Discard {
		return
	}
	st.records = slices.Grow(st.records, len(evs))
	for _, ev := range evs {
		st.records = append(st.records, record{Event: ev, ingestion: ingestion})
	}
}

func (s *Server) createLogGroup(name string) *refusal {
	now := s.opts.Now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] != nil {
		return &refusal{errAlreadyExists, "The specified log group already exists"}
	}
	s.groups[name] = &group{name: name, created: now, streams: make(map[string]*stream)}
	return nil
}

func (s *Server) createLogStream(groupName, name string) *refusal {
	now := s.opts.Now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupName]
	if g == nil {
		return noGroup
	}
	if g.streams[name] != nil {
		return &refusal{errAlreadyExists, "The specified log stream already exists"}
	}
	g.streams[name] = &stream{name: name, created: now}
	return nil
}

func (s *Server) deleteLogGroup(name string) *refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] == nil {
		return noGroup
	}
	delete(s.groups, name)
	return nil
}

func (s *Server) putRetentionPolicy(name string, days int) *refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		return noGroup
	}
	g.retention = days
	return nil
}

type groupInfo struct {
	LogGroupName    string `json:"logGroupName"`
	Arn             string `json:"arn"`
	CreationTime    int64  `json:"creationTime"`
	RetentionInDays *int   `json:"retentionInDays,omitempty"`
	StoredBytes     int64  `json:"storedBytes"`
}

// describeLogGroups lists the groups whose names start with prefix, by name,
// in one page.
func (s *Server) describeLogGroups(prefix string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := []groupInfo{}
	for name, g := range s.groups {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		info := groupInfo{LogGroupName: name, Arn: groupARN(name) + ":*", CreationTime: g.created}
		if days := g.retention; days > 0 {
			info.RetentionInDays = &days
		}
		for _, st := range g.streams {
			info.StoredBytes += st.count.bytes
		}
		groups = append(groups, info)
	}
	slices.SortFunc(groups, func(a, b groupInfo) int {
		return strings.Compare(a.LogGroupName, b.LogGroupName)
	})
	return map[string]any{"logGroups": groups}
}

type streamInfo struct {
	LogStreamName       string `json:"logStreamName"`
	Arn                 string `json:"arn"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	StoredBytes         int64  `json:"storedBytes"` // always 0, as the service reports since 2019
}

// describeLogStreams lists a group's streams in one page, by name or by last
// event time.
func (s *Server) describeLogStreams(p *params) (any, *refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p.groupName()]
	if g == nil {
		return nil, noGroup
	}
	streams := []streamInfo{}
	for name, st := range g.streams {
		if !strings.HasPrefix(name, p.LogStreamNamePrefix) {
			continue
		}
		info := streamInfo{
			LogStreamName: name,
			Arn:           groupARN(g.name) + ":log-stream:" + name,
			CreationTime:  st.created,
		}
		if st.count.events > 0 {
			// Copies: the answer is encoded after the lock is released.
			first, last, ingestion := st.first, st.last, st.lastIngestion
			info.FirstEventTimestamp, info.LastEventTimestamp = &first, &last
			info.LastIngestionTime = &ingestion
		}
		streams = append(streams, info)
	}
	slices.SortFunc(streams, func(a, b streamInfo) int {
		if p.OrderBy == "LastEventTime" {
			return compareLast(a, b)
		}
		return strings.Compare(a.LogStreamName, b.LogStreamName)
	})
	if p.Descending {
		slices.Reverse(streams)
	}
	return map[string]any{"logStreams": streams}, nil
}

func compareLast(a, b streamInfo) int {
	var x, y int64
	if a.LastEventTimestamp != nil {
		x = *a.LastEventTimestamp
	}
	if b.LastEventTimestamp != nil {
		y = *b.LastEventTimestamp
	}
	return int(min(max(x-y, -1), 1))
}

type outputEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// getLogEvents returns every stored event of a stream from the position in
// the token on, oldest first, with startTime and endTime applied. The
// forward token of the answer points past the last event, so a caller that
// follows it until it repeats reads everything once.
func (s *Server) getLogEvents(p *params) (any, *refusal) {
	from := 0
	if n, ok := strings.CutPrefix(p.NextToken, "f/"); ok {
		from, _ = strconv.Atoi(n)
	} else if n, ok := strings.CutPrefix(p.NextToken, "b/"); ok {
		from, _ = strconv.Atoi(n)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p.groupName()]
	if g == nil {
		return nil, noGroup
	}
	st := g.streams[p.LogStreamName]
	if st == nil {
		return nil, noStream
	}
	from = min(max(from, 0), len(st.records))
	evs := []outputEvent{}
	for _, rec := range st.records[from:] {
		before := p.StartTime != nil && rec.Timestamp < *p.StartTime
		after := p.EndTime != nil && rec.Timestamp >= *p.EndTime
		if before || after {
			continue
		}
		evs = append(evs, outputEvent{rec.Timestamp, rec.Message, rec.ingestion})
	}
	return map[string]any{
		"events":            evs,
		"nextForwardToken":  "f/" + strconv.Itoa(len(st.records)),
		"nextBackwardToken": "b/" + strconv.Itoa(from),
	}, nil
}

// groupARN is the ARN of a group in the fake's made-up account and region.
func groupARN(name string) string {
	return "arn:aws:logs:us-east-1:123456789012:log-group:" + name
}
