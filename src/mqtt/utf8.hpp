#pragma once
// MQTT 5.0 section 1.5.4 / 3.1.1 section 1.5.3: UTF-8 encoded strings.
#include <string_view>

namespace attestmq::mqtt {

// Well-formed UTF-8 (RFC 3629), no U+0000, no UTF-16 surrogates (U+D800..U+DFFF).
bool valid_utf8(std::string_view text);

// valid_utf8(text) and, in the same pass, no '+' or '#': the characters of a Topic Name
// (MQTT 5.0 section 4.7.1: wildcards "MUST NOT be used within a Topic Name").
bool valid_utf8_without_wildcards(std::string_view text);

}  // namespace attestmq::mqtt
