"""The keys bpdiag knows for a run: given by the user, read from key stores and host
captures, or learned from the capture itself (a recovered TK, a distributed LTK).

Values are kept in the spec's notation (most significant octet first, as ``smp_crypto``
takes them).  A key the user types may be in either octet order (tools print LTKs both
ways), so a typed LTK or TK is tried both ways: a wrong order is rejected by the MIC (LTK)
or the confirm value (TK), never taken.

Nothing here formats a key for output: ``redact`` is the one place a key becomes text.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from enum import StrEnum

REDACTED = "redacted"


def redact(value: bytes | str, show_keys: bool) -> str:
    """A key as hex (spec order) when ``show_keys``, else ``"redacted"``."""
    if not show_keys:
        return REDACTED
    return value.hex() if isinstance(value, bytes | bytearray) else str(value)


def parse_hex_key(text: str, octets: int = 16) -> bytes:
    """``"4C68…BF"`` / ``"4c:68:…"`` / ``"0x4c68…"`` → bytes (as typed); ``ValueError`` if it
    is not ``octets`` octets of hex.  The message never quotes the text: a key with one
    mistyped digit is still nearly the whole key, and the message reaches the terminal."""
    t = text.strip().lower()
    if t.startswith("0x"):
        t = t[2:]
    t = t.replace(":", "").replace(" ", "").replace("-", "")
    try:
        value = bytes.fromhex(t)
    except ValueError:
        bad = next((i for i, ch in enumerate(t) if ch not in "0123456789abcdef"), None)
        where = f"character {bad + 1} is not a hex digit" if bad is not None else "odd length"
        raise ValueError(f"not a hex key ({where}; {len(t)} characters)") from None
    if len(value) != octets:
        raise ValueError(f"a key is {octets} octets ({2 * octets} hex digits), got {len(value)}")
    return value


@dataclass(slots=True)
class KnownKey:
    """An LTK and what it is tied to: EDIV/Rand (legacy) and the peer's address, when known.
    ``ediv``/``rand`` as in LL_ENC_REQ (``rand`` 8 octets as on air)."""

    ltk: bytes
    source: str
    ediv: int | None = None
    rand: bytes | None = None
    address: str | None = None
    frame: int | None = None  # the frame of the capture that distributed it


class SearchMode(StrEnum):
    """When legacy passkeys are searched (``--passkey-search``, docs/cli.md)."""

    FAILED = "failed"  # pairings that failed, and where a TK is needed (the default)
    ALWAYS = "always"
    NEVER = "never"


PASSKEY_SEARCH_MODES = tuple(m.value for m in SearchMode)  # as the CLI spells them
PASSKEY_SEARCH_BUDGET = 4  # passes over the 10^6 passkeys per analysis (--passkey-search)
PASSKEYS_REMEMBERED = 16  # passkeys found in an analysis tried first on the next pairings


@dataclass(slots=True)
class PasskeySearch:
    """When the legacy Passkey Entry TK is searched (``--passkey-search``, docs/cli.md).

    A search is one pass over the 10^6 passkeys for a pairing's confirms under one choice of
    address types (about 1 s of CPU); one already done in this process is free (a cache),
    and so is a confirm that a passkey found earlier in this analysis explains (``found``).
    ``failed`` (default): the pairings that did not succeed, a successful one with
    --show-keys, and any whose STK is needed to decrypt the link — at most ``budget``
    searches per analysis; ``always``: every pairing, unbounded; ``never``: none (decryption
    too goes without the STK of a Passkey Entry pairing)."""

    mode: SearchMode = SearchMode.FAILED
    budget: int = PASSKEY_SEARCH_BUDGET
    spent: int = 0  # searches done in this analysis
    # What this analysis searched or took from the cache (``link_keys`` keys): a pairing not
    # searched may use only these, so its output does not depend on what the process did
    # before (another file, another mode).
    asked: set[tuple[bytes, ...]] = field(default_factory=set)
    # The passkeys found so far in this analysis, most recent last (at most
    # PASSKEYS_REMEMBERED): a device with a fixed passkey pairs with it again and again in a
    # long log, so each is tried with one c1 per side before a pass over the 10^6 is counted.
    found: dict[int, None] = field(default_factory=dict)

    def start_analysis(self) -> None:
        self.spent = 0
        self.asked.clear()
        self.found.clear()

    def remember(self, passkey: int) -> None:
        """``passkey`` explained a confirm in this analysis: try it first from now on."""
        self.found.pop(passkey, None)
        self.found[passkey] = None
        if len(self.found) > PASSKEYS_REMEMBERED:
            del self.found[next(iter(self.found))]

    def exhausted(self) -> bool:
        """True when no search may be done now (``never``, or the budget is spent)."""
        return self.mode == SearchMode.NEVER or (
            self.mode != SearchMode.ALWAYS and self.spent >= self.budget
        )

    def take(self) -> bool:
        """Count one search; False (nothing counted) when none may be done."""
        if self.exhausted():
            return False
        self.spent += 1
        return True


@dataclass(slots=True)
class Keyring:
    """Keys for decryption and diagnosis.  ``show_keys`` is the user's --show-keys."""

    ltks: list[KnownKey] = field(default_factory=list)
    tks: list[bytes] = field(default_factory=list)
    irks: list[tuple[bytes, str | None]] = field(default_factory=list)
    show_keys: bool = False
    problems: list[str] = field(default_factory=list)  # key files that could not be read
    passkey_search: PasskeySearch = field(default_factory=PasskeySearch)

    def add_ltk_text(self, text: str) -> None:
        """An LTK typed by the user (``--ltk``): tried in both octet orders."""
        value = parse_hex_key(text)
        self.ltks.append(KnownKey(value, "--ltk"))
        if value[::-1] != value:
            self.ltks.append(KnownKey(value[::-1], "--ltk (reversed octet order)"))

    def add_tk_text(self, text: str) -> None:
        """An OOB TK typed by the user (``--tk``): tried in both octet orders."""
        value = parse_hex_key(text)
        self.tks.append(value)
        if value[::-1] != value:
            self.tks.append(value[::-1])

    def learn_ltk(self, key: KnownKey) -> None:
        if not any(
            k.ltk == key.ltk and k.ediv == key.ediv and k.rand == key.rand for k in self.ltks
        ):
            self.ltks.append(key)

    def candidates(self, ediv: int, rand: bytes, addresses: tuple[str, ...] = ()) -> list[KnownKey]:
        """The LTKs to try for an LL_ENC_REQ with ``ediv``/``rand`` on a link between
        ``addresses`` (its CONNECT_IND's, when captured): those tied to that EDIV/Rand first
        — of them, those tied to one of the link's addresses, then those tied to none, then
        those tied to another address (a private address on air hides the identity address
        a key store files the key under) — then those tied to no EDIV/Rand (the user's).
        LE Secure Connections keys all have EDIV 0 and Rand 0, so for them the address is
        what tells one bond from another."""
        here = {a.upper() for a in addresses if a}
        exact = [k for k in self.ltks if k.ediv == ediv and k.rand == bytes(rand)]

        def rank(k: KnownKey) -> int:
            if k.address is None:
                return 1
            return 0 if k.address.upper() in here else 2

        if here:
            exact.sort(key=rank)  # stable: keys of one rank keep the order they were learned in
        loose = [k for k in self.ltks if k.ediv is None or k.rand is None]
        return exact + [k for k in loose if k not in exact]

    # ------------------------------------------------------------------ key files
    def load_file(self, path: str) -> int:
        """Read LE keys from a BlueZ ``info`` file (``/var/lib/bluetooth/<adapter>/<device>/
        info``) or an Android ``bt_config.conf``; returns how many keys were read.  A file
        that is neither is a problem (``problems``), not an exception."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as exc:
            self.problems.append(f"{path}: cannot read ({exc.strerror})")
            return 0
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            self.problems.append(f"{path}: not a BlueZ info or Android bt_config.conf file ({exc})")
            return 0
        n = 0
        if any(s.endswith("LongTermKey") for s in parser.sections()):
            n = self._bluez(parser, path)
        else:
            n = self._android(parser, path)
        if n == 0:
            self.problems.append(f"{path}: no LE keys found")
        return n

    def _bluez(self, parser: configparser.ConfigParser, path: str) -> int:
        """BlueZ (src/device.c store_longtermkey): ``Key`` is the LTK as hex in the order
        the kernel passed it (least significant octet first), ``EDiv`` and ``Rand`` decimal;
        the device's address is its directory name."""
        address = os.path.basename(os.path.dirname(os.path.abspath(path))).upper() or None
        n = 0
        for section in parser.sections():
            s = parser[section]
            try:
                if section.endswith("LongTermKey"):
                    ltk = parse_hex_key(s["Key"])[::-1]
                    ediv = int(s.get("EDiv", "0"))
                    rand = int(s.get("Rand", "0")).to_bytes(8, "little")
                    self.learn_ltk(KnownKey(ltk, f"{path} [{section}]", ediv, rand, address))
                    n += 1
                elif section == "IdentityResolvingKey":
                    self.irks.append((parse_hex_key(s["Key"])[::-1], address))
                    n += 1
            except (KeyError, ValueError, OverflowError) as exc:
                self.problems.append(f"{path} [{section}]: unreadable key ({exc})")
        return n

    def _android(self, parser: configparser.ConfigParser, path: str) -> int:
        """Android (btif_storage, bt_config.conf): per device section, hex of the stack's
        structs: ``LE_KEY_PENC`` the peer's LTK (16 octets, least significant first), Rand (8),
        EDIV (2, little-endian); ``LE_KEY_LENC`` the local LTK (16) then DIV; ``LE_KEY_PID``
        starts with the peer's IRK."""
        n = 0
        for section in parser.sections():
            s = parser[section]
            address = section.upper() if section.count(":") == 5 else None
            for name in ("LE_KEY_PENC", "LE_KEY_LENC"):
                if name not in s:
                    continue
                try:
                    raw = bytes.fromhex(s[name].strip())
                    # tBTM_LE_PENC_KEYS: ltk (16), rand (8), ediv (2), sec_level, key_size;
                    # tBTM_LE_LENC_KEYS: ltk (16), div (2), key_size, sec_level — the LTK
                    # this device gave, whose EDIV/Rand the file does not hold.
                    need = 26 if name == "LE_KEY_PENC" else 16
                    if len(raw) < need:
                        raise ValueError(f"{len(raw)} octets, expected at least {need}")
                    ltk = raw[:16][::-1]
                    ediv: int | None = None
                    rand: bytes | None = None
                    if name == "LE_KEY_PENC":
                        rand, ediv = raw[16:24], int.from_bytes(raw[24:26], "little")
                    source = f"{path} [{section}] {name}"
                    self.learn_ltk(KnownKey(ltk, source, ediv, rand, address))
                    n += 1
                except ValueError as exc:
                    self.problems.append(f"{path} [{section}] {name}: unreadable ({exc})")
            if "LE_KEY_PID" in s:
                try:
                    raw = bytes.fromhex(s["LE_KEY_PID"].strip())
                    if len(raw) >= 16:
                        self.irks.append((raw[:16][::-1], address))
                        n += 1
                except ValueError as exc:
                    self.problems.append(f"{path} [{section}] LE_KEY_PID: unreadable ({exc})")
        return n
