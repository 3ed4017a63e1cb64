package jpeg

import "fmt"

// Marker codes (the byte after 0xFF), T.81 Table B.1.
const (
	SOF0  = 0xC0 // baseline DCT
	SOF1  = 0xC1 // extended sequential DCT, Huffman
	SOF2  = 0xC2 // progressive DCT, Huffman
	SOF3  = 0xC3 // lossless, Huffman
	DHT   = 0xC4 // define Huffman tables
	SOF5  = 0xC5 // differential sequential, Huffman (hierarchical)
	SOF6  = 0xC6
	SOF7  = 0xC7
	JPG   = 0xC8 // reserved for JPEG extensions
	SOF9  = 0xC9 // extended sequential DCT, arithmetic
	SOF10 = 0xCA // progressive DCT, arithmetic
	SOF11 = 0xCB // lossless, arithmetic
	DAC   = 0xCC // define arithmetic coding conditioning
	SOF13 = 0xCD // differential, arithmetic (hierarchical)
	SOF14 = 0xCE
	SOF15 = 0xCF
	RST0  = 0xD0
	RST7  = 0xD7
	SOI   = 0xD8
	EOI   = 0xD9
	SOS   = 0xDA
	DQT   = 0xDB
	DNL   = 0xDC
	DRI   = 0xDD
	DHP   = 0xDE // hierarchical progression
	EXP   = 0xDF // expand reference components (hierarchical)
	APP0  = 0xE0
	APP1  = 0xE1
	APP2  = 0xE2
	APP12 = 0xEC
	APP13 = 0xED
	APP14 = 0xEE
	APP15 = 0xEF
	JPG0  = 0xF0 // JPG0–JPG13 (0xF0–0xFD): JPEG extensions (0xF7 is JPEG-LS SOF55)
	JPG13 = 0xFD
	COM   = 0xFE
	TEM   = 0x01
)

// IsSOF reports whether m starts a frame header (SOF0–SOF15 minus DHT, JPG, DAC).
func IsSOF(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != DHT && m != JPG && m != DAC
}

// IsRST reports whether m is a restart marker.
func IsRST(m byte) bool { return m >= RST0 && m <= RST7 }

// IsAPP reports whether m is an application segment marker APP0–APP15.
func IsAPP(m byte) bool { return m >= APP0 && m <= APP15 }

// Standalone reports whether m is a marker without a length field (T.81 B.1.1.3).
func Standalone(m byte) bool { return m == SOI || m == EOI || m == TEM || IsRST(m) }

// MarkerName is a short human-readable name for a marker code ("SOF2", "APP1").
func MarkerName(m byte) string {
	switch {
	case m == DHT:
		return "DHT"
	case m == JPG:
		return "JPG"
	case m == DAC:
		return "DAC"
	case IsSOF(m):
		return fmt.Sprintf("SOF%d", m-0xC0)
	case IsRST(m):
		return fmt.Sprintf("RST%d", m-RST0)
	case IsAPP(m):
		return fmt.Sprintf("APP%d", m-APP0)
	case m >= JPG0 && m <= JPG13:
		return fmt.Sprintf("JPG%d", m-JPG0)
	}
	switch m {
	case SOI:
		return "SOI"
	case EOI:
		return "EOI"
	case SOS:
		return "SOS"
	case DQT:
		return "DQT"
	case DNL:
		return "DNL"
	case DRI:
		return "DRI"
	case DHP:
		return "DHP"
	case EXP:
		return "EXP"
	case COM:
		return "COM"
	case TEM:
		return "TEM"
	}
	return fmt.Sprintf("0x%02X", m)
}
