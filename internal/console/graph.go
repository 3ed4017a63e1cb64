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
	// Within a layer, keep topological order.
	byLayer := map[int][]string{}
	maxLayer := 0
	for _, n := range topo {
		byLayer[layer[n]] = append(byLayer[layer[n]], n)
		maxLayer = max(maxLayer, layer[n])
	}
	widest := 0
	for _, ns := range byLayer {
		widest = max(widest, len(ns))
	}
	g := &graph{
		Width:  2*marginX + widest*nodeW + (widest-1)*gapX,
		Height: 2*marginY + (maxLayer+1)*nodeH + maxLayer*gapY,
	}
	pos := map[string]*gnode{}
	for l := 0; l <= maxLayer; l++ {
		ns := byLayer[l]
		rowW := len(ns)*nodeW + (len(ns)-1)*gapX
		x0 := (g.Width - rowW) / 2
		for i, n := range ns {
			st := status[n]
			if st == "" {
				st = "notrun"
			}
			node := gnode{
				Name: n, Type: def.States[n].Type, Status: st,
				X: x0 + i*(nodeW+gapX), Y: marginY + l*(nodeH+gapY), W: nodeW, H: nodeH,
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
		case e.catch && b.Y > a.Y+a.H+gapY:
			// An error transition that skips layers leaves from the side, so it runs
			// beside the success path instead of through it.
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
