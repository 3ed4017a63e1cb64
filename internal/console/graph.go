package console

import (
	"encoding/json"
	"fmt"
	"sort"
)

// graph is a state machine laid out for drawing: the top-level states in layers from
// StartAt downwards, as the AWS console's graph view shows them.
type graph struct {
	Width, Height int
	Nodes         []gnode
	Edges         []gedge
}

type gnode struct {
	Name, Type, Status string
	X, Y, W, H         int
	// TextX, TextY place the label; TypeY the state type under it.
	TextX, TextY, TypeY int
}

type gedge struct {
	Path  string // SVG path data
	Catch bool   // an error transition (Catch), drawn dashed
}

type aslState struct {
	Type    string `json:"Type"`
	Next    string `json:"Next"`
	End     bool   `json:"End"`
	Default string `json:"Default"`
	Choices []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	Catch []struct {
		Next string `json:"Next"`
	} `json:"Catch"`
}

type aslDefinition struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

const (
	nodeW   = 170
	nodeH   = 44
	gapX    = 40
	gapY    = 46
	marginX = 20
	marginY = 20
)

// layoutGraph lays out a definition's top-level states. Layers are longest paths from
// StartAt over forward edges (back edges of loops are ignored for layering), so a
// Catch target sits below every state that can fail into it. Parallel and Map states are
// drawn as one node each.
func layoutGraph(definition string, status map[string]string) (*graph, error) {
	var def aslDefinition
	if err := json.Unmarshal([]byte(definition), &def); err != nil {
		return nil, fmt.Errorf("state machine definition: %w", err)
	}
	if _, ok := def.States[def.StartAt]; !ok {
		return nil, fmt.Errorf("state machine definition: StartAt %q is not a state", def.StartAt)
	}
	type edge struct {
		from, to string
		catch    bool
	}
	succ := func(name string) []edge {
		s := def.States[name]
		var es []edge
		add := func(to string, catch bool) {
			if _, ok := def.States[to]; !ok {
				return
			}
			for _, e := range es {
				if e.to == to && e.catch == catch {
					return
				}
			}
			es = append(es, edge{name, to, catch})
		}
		add(s.Next, false)
		for _, ch := range s.Choices {
			add(ch.Next, false)
		}
		add(s.Default, false)
		for _, ct := range s.Catch {
			add(ct.Next, true)
		}
		return es
	}

	// Depth-first order from StartAt, marking back edges so loops cannot make layering diverge.
	order := []string{}
	state := map[string]int{} // 0 unseen, 1 on stack, 2 done
	back := map[[2]string]bool{}
	var visit func(string)
	visit = func(n string) {
		state[n] = 1
		// Successors in reverse (Catch targets first): in reverse post-order that puts
		// the success path ahead of error handlers within a layer.
		es := succ(n)
		for i := len(es) - 1; i >= 0; i-- {
			e := es[i]
			switch state[e.to] {
			case 0:
				visit(e.to)
			case 1:
				back[[2]string{e.from, e.to}] = true
			}
		}
		state[n] = 2
		order = append(order, n)
	}
	visit(def.StartAt)
	// States not reachable from StartAt are still drawn (validation would reject them,
	// but the console shows what it is given).
	rest := make([]string, 0)
	for n := range def.States {
		if state[n] == 0 {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		if state[n] == 0 {
			visit(n)
		}
	}
	// Reverse post-order is a topological order of the forward edges.
	topo := make([]string, len(order))
	for i, n := range order {
		topo[len(order)-1-i] = n
	}
	layer := map[string]int{}
	var edges []edge
	for _, n := range topo {
		for _, e := range succ(n) {
			edges = append(edges, e)
			if back[[2]string{e.from, e.to}] {
				continue
			}
			if layer[n]+1 > layer[e.to] {
				layer[e.to] = layer[n] + 1
			}
		}
	}
	byLayer := map[int][]string{}
	maxLayer := 0
	for _, n := range topo {
		byLayer[layer[n]] = append(byLayer[layer[n]], n)
		maxLayer = max(maxLayer, layer[n])
	}
	preds := map[string][]string{}
	for _, e := range edges {
		if !back[[2]string{e.from, e.to}] {
			preds[e.to] = append(preds[e.to], e.from)
		}
	}
	// The spine is the happy path: from StartAt, always the first non-error transition.
	// It is drawn as a straight vertical line, as in the AWS console.
	spine := map[string]bool{}
	for n := def.StartAt; n != "" && !spine[n]; {
		spine[n] = true
		next := ""
		for _, e := range succ(n) {
			if !e.catch && !back[[2]string{e.from, e.to}] {
				next = e.to
				break
			}
		}
		n = next
	}
	// Horizontal placement, layer by layer: each state wants to sit under the mean of
	// its predecessors (the barycentre heuristic); states keep that order, are pushed
	// apart to the minimum spacing, and the layer is shifted back so its spine state
	// (or, without one, the layer on average) is where it wants to be.
	const step = nodeW + gapX
	cx := map[string]float64{}
	for l := 0; l <= maxLayer; l++ {
		ns := byLayer[l]
		want := make(map[string]float64, len(ns))
		next := 0.0
		for _, n := range ns {
			sum, k := 0.0, 0
			for _, p := range preds[n] {
				if x, ok := cx[p]; ok {
					sum, k = sum+x, k+1
				}
			}
			if k > 0 {
				want[n] = sum / float64(k)
			} else {
				want[n] = next // no placed predecessor: after the others
			}
			next = max(next, want[n]+step)
		}
		sort.SliceStable(ns, func(i, j int) bool { return want[ns[i]] < want[ns[j]] })
		xs := make([]float64, len(ns))
		shift, anchored := 0.0, false
		for i, n := range ns {
			xs[i] = want[n]
			if i > 0 {
				xs[i] = max(xs[i], xs[i-1]+step)
			}
			if !anchored {
				shift += xs[i] - want[n]
			}
			if spine[n] && !anchored {
				shift, anchored = xs[i]-want[n], true
			}
		}
		if !anchored {
			shift /= float64(len(ns))
		}
		for i, n := range ns {
			cx[n] = xs[i] - shift
		}
	}
	minX, maxX := 0.0, 0.0
	first := true
	for _, x := range cx {
		if first {
			minX, maxX, first = x, x, false
		}
		minX, maxX = min(minX, x), max(maxX, x)
	}
	g := &graph{
		Width:  2*marginX + int(maxX-minX) + nodeW,
		Height: 2*marginY + (maxLayer+1)*nodeH + maxLayer*gapY,
	}
	pos := map[string]*gnode{}
	for l := 0; l <= maxLayer; l++ {
		for _, n := range byLayer[l] {
			st := status[n]
			if st == "" {
				st = "notrun"
			}
			node := gnode{
				Name: n, Type: def.States[n].Type, Status: st,
				X: marginX + int(cx[n]-minX), Y: marginY + l*(nodeH+gapY), W: nodeW, H: nodeH,
			}
			node.TextX = node.X + nodeW/2
			node.TextY = node.Y + 19
			node.TypeY = node.Y + 35
			g.Nodes = append(g.Nodes, node)
		}
	}
	for i := range g.Nodes {
		pos[g.Nodes[i].Name] = &g.Nodes[i]
	}
	for _, e := range edges {
		a, b := pos[e.from], pos[e.to]
		var d string
		switch {
		case b.Y > a.Y+a.H+gapY:
			// A transition that skips layers leaves from the side, so it runs beside
			// the states in between instead of through them.
			x1, y1 := a.X+a.W, a.Y+a.H/2
			x2, y2 := b.X+b.W/2, b.Y
			if x2 < a.X+a.W/2 {
				x1 = a.X
			}
			d = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x2, y1, x2, y2-gapY, x2, y2)
		case b.Y > a.Y:
			x1, y1 := a.X+a.W/2, a.Y+a.H
			x2, y2 := b.X+b.W/2, b.Y
			my := (y1 + y2) / 2
			d = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, my, x2, my, x2, y2)
		default:
			// A loop back up (or sideways): leave and re-enter on the right side.
			x1, y1 := a.X+a.W, a.Y+a.H/2
			x2, y2 := b.X+b.W, b.Y+b.H/2
			bulge := max(x1, x2) + gapX
			d = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, bulge, y1, bulge, y2, x2, y2)
			g.Width = max(g.Width, bulge+marginX)
		}
		g.Edges = append(g.Edges, gedge{Path: d, Catch: e.catch})
	}
	return g, nil
}
