// Package samples is the code under test of dozhim's Go sample suite (see ../README.md).
package samples

import "strings"

func Add(a, b int) int { return a + b }

func Mul(a, b int) int { return a * b }

func Join(words []string) string { return strings.Join(words, "-") }
