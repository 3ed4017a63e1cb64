// Package lambdazip writes Lambda deployment zips reproducibly: the same files give
// the same bytes on any machine, whatever its clock, time zone or umask. Entries are
// sorted, timestamped 1980-01-01 00:00 (the zip epoch), with no extra fields, and the
// executable bit set only on the files named executable (Lambda needs it on bootstrap).
package lambdazip
