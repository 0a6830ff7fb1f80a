/* Private to the OpenQASM reader: a pull lexer over an in-memory buffer.
 * Tokens point into the buffer (no allocation per token); the buffer must
 * stay alive while tokens are used. Comments, whitespace and CR are skipped;
 * lines and columns are 1-based, columns counted in bytes. */
#ifndef TSR_QASM_LEXER_H
#define TSR_QASM_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/core.h"

typedef enum qasm_tok {
  QT_EOF = 0,
  QT_ERROR,  /* the lexer has set its error record */
  QT_IDENT,  /* letters, digits, '_', '$' after the first, and any non-ASCII byte */
  QT_INT,    /* decimal, or 0x / 0o / 0b prefixed; '_' separators allowed */
  QT_REAL,   /* has a '.' or an exponent */
  QT_STRING, /* "..." or '...' on one line; start/len exclude the quotes */
  QT_SEMI,
  QT_COMMA,
  QT_COLON,
  QT_LPAREN,
  QT_RPAREN,
  QT_LBRACKET,
  QT_RBRACKET,
  QT_LBRACE,
  QT_RBRACE,
  QT_ARROW,  /* -> */
  QT_EQEQ,   /* == */
  QT_NEQ,    /* != */
  QT_ASSIGN, /* = */
  QT_PLUS,
  QT_MINUS,
  QT_STAR,
  QT_POW, /* ^ (OpenQASM 2) or ** (OpenQASM 3) */
  QT_SLASH,
  QT_PERCENT,
  QT_BANG,
  QT_AT,
  QT_LT,
  QT_GT,
  QT_LE,
  QT_GE,
  QT_AMPAMP,
  QT_PIPEPIPE,
  QT_AMP,
  QT_PIPE,
  QT_TILDE,
  QT_HASH_PRAGMA, /* a whole "#pragma ..." or "#..." line (OpenQASM 3) */
  QT_COUNT
} qasm_tok;

typedef struct qasm_token {
  qasm_tok kind;
  uint32_t len;
  const char *start;
  int line, col;
} qasm_token;

typedef struct qasm_lexer {
  const char *pos, *end, *line_start;
  int line;
  const char *file; /* for error locations */
  tsr_error *err;
} qasm_lexer;

/* Starts lexing text[0..len) (text need not be NUL-terminated). */
void qasm_lexer_init(qasm_lexer *lx, const char *text, size_t len, const char *file,
                     tsr_error *err);
/* Reads the next token. On a lexical error (unterminated comment or string,
 * stray character) returns QT_ERROR with err set to TSR_ERR_INPUT. */
qasm_tok qasm_lexer_next(qasm_lexer *lx, qasm_token *tok);
/* Printable name of a token kind for messages ("';'", "identifier"). */
const char *qasm_tok_name(qasm_tok kind);

#endif
