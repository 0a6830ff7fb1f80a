/* OpenQASM 2.0 / 3 lexer: turns a buffer into tokens that point back into it.
 * One pass, no allocation, no look-back; the reader pulls one token at a time
 * and copies the lexer struct when it needs to peek further. */
#include "circuit/qasm_lexer.h"

#include <string.h>

void qasm_lexer_init(qasm_lexer *lx, const char *text, size_t len, const char *file,
                     tsr_error *err) {
  /* A UTF-8 byte order mark (some Windows editors write one) is not text. */
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
    text += 3;
    len -= 3;
  }
  lx->pos = text;
  lx->end = text + len;
  lx->line_start = text;
  lx->line = 1;
  lx->file = file;
  lx->err = err;
}

/* Character classes. Identifiers: ASCII letters, digits, '_' and '$', plus
 * every byte of a multi-byte UTF-8 sequence (OpenQASM 3 allows Unicode
 * letters such as pi's own symbol). A table keeps the hot loops branch-light. */
enum { C_IDSTART = 1, C_DIGIT = 2, C_BLANK = 4, C_HEX = 8 };
/* One row per 16 byte values. */
/* clang-format off */
static const unsigned char CLASS[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 4, 4, 4, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0, 0,
    0, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

static int is_ident_start(unsigned char c) {
  return CLASS[c] & C_IDSTART;
}

static int is_ident_char(unsigned char c) {
  return CLASS[c] & (C_IDSTART | C_DIGIT);
}

static int is_digit(unsigned char c) {
  return CLASS[c] & C_DIGIT;
}

static int is_hex_digit(unsigned char c) {
  return CLASS[c] & C_HEX;
}

static int column(const qasm_lexer *lx, const char *p) {
  return (int)(p - lx->line_start) + 1;
}

static qasm_tok lex_error(qasm_lexer *lx, qasm_token *tok, const char *msg, unsigned char c) {
  tok->kind = QT_ERROR;
  if (c) {
    if (c >= 0x20 && c < 0x7f) {
      tsr_error_set_at(lx->err, TSR_ERR_INPUT, lx->file, tok->line, tok->col, "%s '%c'", msg, c);
    } else {
      tsr_error_set_at(lx->err, TSR_ERR_INPUT, lx->file, tok->line, tok->col, "%s (byte 0x%02x)",
                       msg, c);
    }
  } else {
    tsr_error_set_at(lx->err, TSR_ERR_INPUT, lx->file, tok->line, tok->col, "%s", msg);
  }
  return QT_ERROR;
}

/* Skips whitespace and comments. Returns 0, or -1 after setting the error
 * for an unterminated block comment (located at its opening). */
static int skip_space(qasm_lexer *lx, qasm_token *tok) {
  const char *p = lx->pos, *end = lx->end;
  for (;;) {
    while (p < end && (CLASS[(unsigned char)*p] & C_BLANK)) p++;
    if (p >= end) break;
    if (*p == '\n') {
      p++;
      lx->line++;
      lx->line_start = p;
      continue;
    }
    if (*p == '/' && p + 1 < end && p[1] == '/') {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      p = nl ? nl : end;
      continue;
    }
    if (*p == '/' && p + 1 < end && p[1] == '*') {
      int line = lx->line, col = column(lx, p);
      p += 2;
      for (;;) {
        if (p + 1 >= end) {
          lx->pos = end;
          tok->line = line;
          tok->col = col;
          lex_error(lx, tok, "unterminated comment ('/*' is never closed)", 0);
          return -1;
        }
        if (*p == '*' && p[1] == '/') {
          p += 2;
          break;
        }
        if (*p == '\n') {
          lx->line++;
          lx->line_start = p + 1;
        }
        p++;
      }
      continue;
    }
    break;
  }
  lx->pos = p;
  return 0;
}

static qasm_tok lex_number(qasm_lexer *lx, qasm_token *tok) {
  const char *p = lx->pos, *end = lx->end;
  qasm_tok kind = QT_INT;
  if (*p == '0' && p + 2 < end &&
      (p[1] == 'x' || p[1] == 'X' || p[1] == 'o' || p[1] == 'O' || p[1] == 'b' || p[1] == 'B') &&
      is_hex_digit((unsigned char)p[2])) {
    /* Prefixed integer: the reader validates the digits for the base. */
    p += 2;
    while (p < end && (is_hex_digit((unsigned char)*p) || *p == '_')) p++;
  } else {
    while (p < end && (is_digit((unsigned char)*p) || *p == '_')) p++;
    if (p < end && *p == '.') {
      kind = QT_REAL;
      p++;
      while (p < end && (is_digit((unsigned char)*p) || *p == '_')) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      const char *q = p + 1;
      if (q < end && (*q == '+' || *q == '-')) q++;
      if (q < end && is_digit((unsigned char)*q)) {
        kind = QT_REAL;
        p = q;
        while (p < end && is_digit((unsigned char)*p)) p++;
      }
    }
  }
  tok->kind = kind;
  tok->len = (uint32_t)(p - lx->pos);
  lx->pos = p;
  return kind;
}

qasm_tok qasm_lexer_next(qasm_lexer *lx, qasm_token *tok) {
  if (skip_space(lx, tok) < 0) {
    tok->start = lx->pos;
    tok->len = 0;
    return QT_ERROR;
  }
  const char *p = lx->pos, *end = lx->end;
  tok->start = p;
  tok->line = lx->line;
  tok->col = column(lx, p);
  tok->len = 1;
  if (p >= end) {
    tok->len = 0;
    return tok->kind = QT_EOF;
  }
  unsigned char c = (unsigned char)*p;
  if (is_ident_start(c)) {
    const char *q = p + 1;
    while (q < end && is_ident_char((unsigned char)*q)) q++;
    tok->len = (uint32_t)(q - p);
    lx->pos = q;
    return tok->kind = QT_IDENT;
  }
  if (is_digit(c) || (c == '.' && p + 1 < end && is_digit((unsigned char)p[1]))) {
    return lex_number(lx, tok);
  }
  qasm_tok kind;
  size_t n = 1;
  unsigned char c1 = p + 1 < end ? (unsigned char)p[1] : 0;
  switch (c) {
  case ';':
    kind = QT_SEMI;
    break;
  case ',':
    kind = QT_COMMA;
    break;
  case ':':
    kind = QT_COLON;
    break;
  case '(':
    kind = QT_LPAREN;
    break;
  case ')':
    kind = QT_RPAREN;
    break;
  case '[':
    kind = QT_LBRACKET;
    break;
  case ']':
    kind = QT_RBRACKET;
    break;
  case '{':
    kind = QT_LBRACE;
    break;
  case '}':
    kind = QT_RBRACE;
    break;
  case '+':
    kind = QT_PLUS;
    break;
  case '/':
    kind = QT_SLASH;
    break;
  case '%':
    kind = QT_PERCENT;
    break;
  case '^':
    kind = QT_POW;
    break;
  case '@':
    kind = QT_AT;
    break;
  case '~':
    kind = QT_TILDE;
    break;
  case '-':
    kind = c1 == '>' ? QT_ARROW : QT_MINUS;
    n = c1 == '>' ? 2 : 1;
    break;
  case '*':
    kind = c1 == '*' ? QT_POW : QT_STAR;
    n = c1 == '*' ? 2 : 1;
    break;
  case '=':
    kind = c1 == '=' ? QT_EQEQ : QT_ASSIGN;
    n = c1 == '=' ? 2 : 1;
    break;
  case '!':
    kind = c1 == '=' ? QT_NEQ : QT_BANG;
    n = c1 == '=' ? 2 : 1;
    break;
  case '<':
    kind = c1 == '=' ? QT_LE : QT_LT;
    n = c1 == '=' ? 2 : 1;
    break;
  case '>':
    kind = c1 == '=' ? QT_GE : QT_GT;
    n = c1 == '=' ? 2 : 1;
    break;
  case '&':
    kind = c1 == '&' ? QT_AMPAMP : QT_AMP;
    n = c1 == '&' ? 2 : 1;
    break;
  case '|':
    kind = c1 == '|' ? QT_PIPEPIPE : QT_PIPE;
    n = c1 == '|' ? 2 : 1;
    break;
  case '"':
  case '\'': {
    const char *q = p + 1;
    while (q < end && *q != (char)c && *q != '\n') q++;
    if (q >= end || *q != (char)c) {
      lx->pos = q;
      return lex_error(lx, tok, "unterminated string", 0);
    }
    tok->start = p + 1;
    tok->len = (uint32_t)(q - p - 1);
    lx->pos = q + 1;
    return tok->kind = QT_STRING;
  }
  case '#': {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *q = nl ? nl : end;
    tok->len = (uint32_t)(q - p);
    lx->pos = q;
    return tok->kind = QT_HASH_PRAGMA;
  }
  default:
    lx->pos = p + 1;
    return lex_error(lx, tok, "unexpected character", c);
  }
  tok->len = (uint32_t)n;
  lx->pos = p + n;
  return tok->kind = kind;
}

const char *qasm_tok_name(qasm_tok kind) {
  switch (kind) {
  case QT_EOF:
    return "end of input";
  case QT_ERROR:
    return "invalid token";
  case QT_IDENT:
    return "identifier";
  case QT_INT:
    return "integer";
  case QT_REAL:
    return "number";
  case QT_STRING:
    return "string";
  case QT_SEMI:
    return "';'";
  case QT_COMMA:
    return "','";
  case QT_COLON:
    return "':'";
  case QT_LPAREN:
    return "'('";
  case QT_RPAREN:
    return "')'";
  case QT_LBRACKET:
    return "'['";
  case QT_RBRACKET:
    return "']'";
  case QT_LBRACE:
    return "'{'";
  case QT_RBRACE:
    return "'}'";
  case QT_ARROW:
    return "'->'";
  case QT_EQEQ:
    return "'=='";
  case QT_NEQ:
    return "'!='";
  case QT_ASSIGN:
    return "'='";
  case QT_PLUS:
    return "'+'";
  case QT_MINUS:
    return "'-'";
  case QT_STAR:
    return "'*'";
  case QT_POW:
    return "'^'";
  case QT_SLASH:
    return "'/'";
  case QT_PERCENT:
    return "'%'";
  case QT_BANG:
    return "'!'";
  case QT_AT:
    return "'@'";
  case QT_LT:
    return "'<'";
  case QT_GT:
    return "'>'";
  case QT_LE:
    return "'<='";
  case QT_GE:
    return "'>='";
  case QT_AMPAMP:
    return "'&&'";
  case QT_PIPEPIPE:
    return "'||'";
  case QT_AMP:
    return "'&'";
  case QT_PIPE:
    return "'|'";
  case QT_TILDE:
    return "'~'";
  case QT_HASH_PRAGMA:
    return "pragma";
  case QT_COUNT:
    break;
  }
  return "token";
}
