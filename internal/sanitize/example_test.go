package sanitize_test

import (
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// Sequencers of different lengths compare after right-padding the shorter with zeros.
func ExampleCompareSequencers() {
	fmt.Println(sanitize.CompareSequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6"))
	fmt.Println(sanitize.CompareSequencers("0055AED6DCD91", "0055AED6DCD90281E5"))
	fmt.Println(sanitize.CompareSequencers("00A", "00A000"))
	// Output:
	// -1
	// 1
	// 0
}
