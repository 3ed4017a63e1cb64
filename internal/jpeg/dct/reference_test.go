package dct

// decodeReference is Decode with sequential scans decoded block by block
// through decodeScan and refSequentialBlock.
func decodeReference(data []byte, lim Limits) (*Image, error) {
	return (&decoder{refBlock: refSequentialBlock}).decode(data, lim)
}

// refSequentialBlock decodes one block of a sequential scan (T.81
// F.2.2.1-2) with the bitReader: the decoder sequentialScan replaced, kept
// as the reference it must agree with.
func refSequentialBlock(d *decoder, blk []int16, s *scanComp, pred *int32) error {
	br := &d.br
	t, err := br.decode(s.dc)
	if err != nil {
		return err
	}
	if t > 11 {
		return formatErr("DC difference category %d", t)
	}
	p := *pred + br.receiveExtend(uint(t))
	if p < -32768 || p > 32767 {
		return errCoefRange
	}
	*pred = p
	blk = blk[:64:64]
	blk[0] = int16(p)
	ac := s.ac
	for k := 1; k < 64; {
		if br.n < 32 {
			br.fill()
		}
		// Most codes and their magnitude bits fit the lookup table.
		if e := ac.fast[br.acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xFF)
			br.acc <<= l
			br.n -= l
			if e>>8&0xFF == fastEOB {
				break
			}
			k += int(e >> 8 & 0xFF)
			if k > 63 {
				return formatErr("AC coefficient past the block")
			}
			blk[k] = int16(e >> 16)
			k++
			continue
		}
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, t := int(rs>>4), uint(rs&15)
		if t == 0 {
			if r != 15 {
				break
			}
			k += 16
			continue
		}
		k += r
		if k > 63 || t > 10 {
			return formatErr("AC coefficient past the block or too large")
		}
		blk[k] = int16(br.receiveExtend(t))
		k++
	}
	return nil
}
