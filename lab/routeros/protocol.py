"""RouterOS API wire format: length-prefixed words, sentences ended by an empty word.

Lengths are big-endian with the high bits of the first byte telling how many bytes follow
(0xxxxxxx: 1, 10xxxxxx: 2, 110xxxxx: 3, 1110xxxx: 4, 11110000: 4 more bytes).  Bytes >= 0xF8
are control bytes and are refused.
"""


class ProtocolError(Exception):
    pass


def encode_length(length):
    if length < 0x80:
        return bytes([length])
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    return b"\xF0" + length.to_bytes(4, "big")


def encode_word(word, encoding="utf-8"):
    data = word.encode(encoding) if isinstance(word, str) else word
    return encode_length(len(data)) + data


def encode_sentence(words, encoding="utf-8"):
    return b"".join(encode_word(w, encoding) for w in words) + b"\x00"


async def read_length(reader):
    first = (await reader.readexactly(1))[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        rest = await reader.readexactly(1)
        return int.from_bytes(bytes([first]) + rest, "big") & 0x3FFF
    if first < 0xE0:
        rest = await reader.readexactly(2)
        return int.from_bytes(bytes([first]) + rest, "big") & 0x1FFFFF
    if first < 0xF0:
        rest = await reader.readexactly(3)
        return int.from_bytes(bytes([first]) + rest, "big") & 0x0FFFFFFF
    if first == 0xF0:
        return int.from_bytes(await reader.readexactly(4), "big")
    raise ProtocolError("control byte 0x%02x received" % first)


async def read_sentence(reader, encoding="utf-8", max_words=10000):
    """The next non-empty sentence as a list of str words (empty sentences are skipped)."""
    while True:
        words = []
        while True:
            length = await read_length(reader)
            if length == 0:
                break
            if length > 16 * 1024 * 1024:
                raise ProtocolError("word of %d bytes refused" % length)
            words.append((await reader.readexactly(length)).decode(encoding, errors="replace"))
            if len(words) > max_words:
                raise ProtocolError("sentence too long")
        if words:
            return words
