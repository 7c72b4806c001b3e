//go:build !purego

#include "textflag.h"

// BLOCK sets DX to the 16-bit mask of the bytes at (SI) that are in the
// set: X6 and X7 hold the classes by low and high nibble, X5 0x0f in every
// byte, X4 zero.
#define BLOCK \
	MOVOU    (SI), X0 \
	MOVO     X0, X1   \
	PSRLW    $4, X1   \
	PAND     X5, X0   \
	PAND     X5, X1   \
	MOVO     X6, X2   \
	PSHUFB   X0, X2   \
	MOVO     X7, X3   \
	PSHUFB   X1, X3   \
	PAND     X3, X2   \
	PCMPEQB  X4, X2   \
	PMOVMSKB X2, DX   \
	XORL     $0xffff, DX

// func markVector(nibbles *[32]byte, p *byte, n int, dst *uint64)
TEXT ·markVector(SB), NOSPLIT, $0-32
	MOVQ nibbles+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ dst+24(FP), DI
	MOVOU 0(AX), X6
	MOVOU 16(AX), X7
	MOVL $0x0f0f0f0f, DX
	MOVQ DX, X5
	PSHUFD $0, X5, X5
	PXOR X4, X4
	MOVQ CX, BX
	SHRQ $4, BX

loop:
	BLOCK
	MOVW DX, (DI)
	ADDQ $16, SI
	ADDQ $2, DI
	DECQ BX
	JNZ  loop

	// The bytes past the last multiple of 16: test the last 16 bytes,
	// which end with them, and keep the mask's top bits.
	ANDQ $15, CX
	JZ   done
	LEAQ -16(SI)(CX*1), SI
	BLOCK
	NEGQ CX
	ADDQ $16, CX
	SHRL CX, DX
	MOVW DX, (DI)

done:
	RET
