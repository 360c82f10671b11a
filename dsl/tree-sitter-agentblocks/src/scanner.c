/*
 * External scanner for the AgentBlocks grammar: fenced strings.
 *
 * A fenced string is a run of N >= 3 backticks, optional spaces or tabs, a line ending, then
 * lines up to and including a line whose first non-blank characters are exactly N backticks
 * (not followed by another backtick). The token ends right after that closing fence, so other
 * tokens may follow on the same line. When the file ends before a closing fence the token
 * still ends there (at the end of the file); the Rust side reports it as never closed. When
 * the opening fence line holds anything but blanks after the backticks, this is no fenced
 * string and the scanner declines.
 *
 * The scanner keeps no state.
 */

#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdint.h>

enum TokenType {
  FENCED_STRING,
};

void *tree_sitter_agentblocks_external_scanner_create(void) { return NULL; }

void tree_sitter_agentblocks_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_agentblocks_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_agentblocks_external_scanner_deserialize(void *payload, const char *buffer,
                                                          unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static bool is_blank(int32_t c) { return c == ' ' || c == '\t'; }

static bool is_space(int32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
         c == 0xFEFF;
}

bool tree_sitter_agentblocks_external_scanner_scan(void *payload, TSLexer *lexer,
                                                   const bool *valid_symbols) {
  (void)payload;
  if (!valid_symbols[FENCED_STRING]) {
    return false;
  }

  while (!lexer->eof(lexer) && is_space(lexer->lookahead)) {
    lexer->advance(lexer, true);
  }

  /* The opening fence. */
  uint32_t fence = 0;
  while (!lexer->eof(lexer) && lexer->lookahead == '`') {
    fence++;
    lexer->advance(lexer, false);
  }
  if (fence < 3) {
    return false;
  }
  while (!lexer->eof(lexer) && is_blank(lexer->lookahead)) {
    lexer->advance(lexer, false);
  }
  if (lexer->eof(lexer)) {
    lexer->mark_end(lexer);
    lexer->result_symbol = FENCED_STRING;
    return true;
  }
  if (lexer->lookahead == '\r') {
    lexer->advance(lexer, false);
  }
  if (lexer->lookahead != '\n') {
    return false;
  }
  lexer->advance(lexer, false);

  /* The lines, up to the closing fence. Each iteration starts at the beginning of a line. */
  for (;;) {
    if (lexer->eof(lexer)) {
      lexer->mark_end(lexer);
      lexer->result_symbol = FENCED_STRING;
      return true;
    }
    while (!lexer->eof(lexer) && is_blank(lexer->lookahead)) {
      lexer->advance(lexer, false);
    }
    uint32_t run = 0;
    while (!lexer->eof(lexer) && lexer->lookahead == '`') {
      run++;
      lexer->advance(lexer, false);
    }
    if (run == fence) {
      /* Exactly the fence: the token ends here. */
      lexer->mark_end(lexer);
      lexer->result_symbol = FENCED_STRING;
      return true;
    }
    while (!lexer->eof(lexer) && lexer->lookahead != '\n') {
      lexer->advance(lexer, false);
    }
    if (!lexer->eof(lexer)) {
      lexer->advance(lexer, false);
    }
  }
}
