// A small well-formedness check for the generated SVG and HTML in tests: every tag closed in order,
// attributes quoted, no raw '<' or '&' in text. Not a full XML parser; enough to catch broken markup.
#pragma once

#include <string>
#include <string_view>

namespace irqrig::report::testing {

/// Empty when `markup` is well formed, else what is wrong and where. HTML void elements (meta,
/// br, ...) need no closing tag; the doctype is skipped.
std::string markup_problem(std::string_view markup);

/// How often `needle` occurs in `hay`.
std::size_t occurrences(std::string_view hay, std::string_view needle);

/// The element that carries `id="ID"`, from its '<' to its closing tag (assumes no nesting of
/// the same tag name inside it, true of <svg> and <table>); empty when absent.
std::string_view element_with_id(std::string_view markup, std::string_view id);

}  // namespace irqrig::report::testing
