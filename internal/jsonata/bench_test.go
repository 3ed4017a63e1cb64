package jsonata

import (
	"fmt"
	"testing"
)

// benchInput is an object holding 1,000 orders, the size the ASL engine's Map states see.
func benchInput() any {
	orders := make([]any, 1000)
	for i := range orders {
		orders[i] = map[string]any{
			"id":    fmt.Sprintf("order%d", i),
			"price": float64(i%97) + 0.5,
			"qty":   int64(i % 5),
			"tags":  []any{"a", "b"},
		}
	}
	return map[string]any{"orders": orders}
}

func benchmarkExpr(b *testing.B, src string) {
	e, err := Compile(src)
	if err != nil {
		b.Fatal(err)
	}
	input := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Eval(input, Env{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPath(b *testing.B)   { benchmarkExpr(b, `orders.price`) }
func BenchmarkFilter(b *testing.B) { benchmarkExpr(b, `orders[price > 50 and qty > 1].id`) }
func BenchmarkSum(b *testing.B)    { benchmarkExpr(b, `$sum(orders.(price * qty))`) }
func BenchmarkGroup(b *testing.B)  { benchmarkExpr(b, `orders{$string(qty): $sum(price)}`) }
func BenchmarkMapLambda(b *testing.B) {
	benchmarkExpr(b, `$map(orders, function($o){ {"id": $o.id, "t": $o.price * $o.qty} })`)
}
func BenchmarkSort(b *testing.B) { benchmarkExpr(b, `orders^(>price, id).id`) }

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`Account.Order.Product{$string(ProductID): $sum(Price * Quantity)} ~> $each(function($v, $k){$k & "=" & $string($v)})`); err != nil {
			b.Fatal(err)
		}
	}
}
