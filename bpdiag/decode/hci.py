"""HCI commands and events that matter to connections and security.

Bluetooth Core Spec v5.4, Vol 4, Part E: packet formats in 5.4 (command 5.4.1, ACL 5.4.2,
event 5.4.4), commands in 7.1 / 7.4 / 7.8, events in 7.7; error codes in Vol 1, Part F, 1.3.

``parse_command`` and ``parse_event`` check the parameter length byte against the data, then
each typed message's fixed parameters against what is there; anything short raises
``Truncated`` and a length byte that disagrees with the data raises ``Truncated`` (the data is
shorter) or ``BadLength`` (longer), all with ``layer="hci"``.  Parameters beyond what a typed
message reads are ignored (later spec versions append parameters).  Messages bpdiag has no
class for come back as ``HciCommand`` / ``HciEvent`` / ``LeMetaEvent`` with their raw
parameters and a name from the tables below (``COMMAND_NAMES``, ``EVENT_NAMES``,
``LE_SUBEVENT_NAMES``; a value in none of them is ``reserved (0x..)``).

Field conventions of ``fields()``: addresses as tshark prints them (most significant byte
first, ``AA:BB:CC:DD:EE:FF``), ``rand`` / ``ltk`` as hex in wire order, codes as ints with a
``*_name`` beside status and reason codes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from bpdiag.errors import BadLength, Truncated

KEY_FIELDS = frozenset({"ltk"})
"""Names of ``fields()`` keys that hold key material (redacted unless asked for)."""

_U16 = struct.Struct("<H")

# Vol 1, Part F, 1.3, Table 1.1 — controller error codes.
STATUS_NAMES: dict[int, str] = {
    0x00: "Success",
    0x01: "Unknown HCI Command",
    0x02: "Unknown Connection Identifier",
    0x03: "Hardware Failure",
    0x04: "Page Timeout",
    0x05: "Authentication Failure",
    0x06: "PIN or Key Missing",
    0x07: "Memory Capacity Exceeded",
    0x08: "Connection Timeout",
    0x09: "Connection Limit Exceeded",
    0x0A: "Synchronous Connection Limit To A Device Exceeded",
    0x0B: "Connection Already Exists",
    0x0C: "Command Disallowed",
    0x0D: "Connection Rejected due to Limited Resources",
    0x0E: "Connection Rejected Due To Security Reasons",
    0x0F: "Connection Rejected due to Unacceptable BD_ADDR",
    0x10: "Connection Accept Timeout Exceeded",
    0x11: "Unsupported Feature or Parameter Value",
    0x12: "Invalid HCI Command Parameters",
    0x13: "Remote User Terminated Connection",
    0x14: "Remote Device Terminated Connection due to Low Resources",
    0x15: "Remote Device Terminated Connection due to Power Off",
    0x16: "Connection Terminated By Local Host",
    0x17: "Repeated Attempts",
    0x18: "Pairing Not Allowed",
    0x19: "Unknown LMP PDU",
    0x1A: "Unsupported Remote Feature",
    0x1B: "SCO Offset Rejected",
    0x1C: "SCO Interval Rejected",
    0x1D: "SCO Air Mode Rejected",
    0x1E: "Invalid LMP Parameters / Invalid LL Parameters",
    0x1F: "Unspecified Error",
    0x20: "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
    0x21: "Role Change Not Allowed",
    0x22: "LMP Response Timeout / LL Response Timeout",
    0x23: "LMP Error Transaction Collision / LL Procedure Collision",
    0x24: "LMP PDU Not Allowed",
    0x25: "Encryption Mode Not Acceptable",
    0x26: "Link Key cannot be Changed",
    0x27: "Requested QoS Not Supported",
    0x28: "Instant Passed",
    0x29: "Pairing With Unit Key Not Supported",
    0x2A: "Different Transaction Collision",
    0x2C: "QoS Unacceptable Parameter",
    0x2D: "QoS Rejected",
    0x2E: "Channel Classification Not Supported",
    0x2F: "Insufficient Security",
    0x30: "Parameter Out Of Mandatory Range",
    0x32: "Role Switch Pending",
    0x34: "Reserved Slot Violation",
    0x35: "Role Switch Failed",
    0x36: "Extended Inquiry Response Too Large",
    0x37: "Secure Simple Pairing Not Supported By Host",
    0x38: "Host Busy - Pairing",
    0x39: "Connection Rejected due to No Suitable Channel Found",
    0x3A: "Controller Busy",
    0x3B: "Unacceptable Connection Parameters",
    0x3C: "Advertising Timeout",
    0x3D: "Connection Terminated due to MIC Failure",
    0x3E: "Connection Failed to be Established",
    0x40: "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
    0x41: "Type0 Submap Not Defined",
    0x42: "Unknown Advertising Identifier",
    0x43: "Limit Reached",
    0x44: "Operation Cancelled by Host",
    0x45: "Packet Too Long",
    0x46: "Too Late",
    0x47: "Too Early",
    0x48: "Insufficient Channels",
}

# Vol 4, Part E, 7.1–7.8 — command opcodes (OGF << 10 | OCF) and their spec names.
COMMAND_NAMES: dict[int, str] = {
    0x0000: "No Operation",
    # 7.1 Link Control (OGF 0x01)
    0x0401: "Inquiry",
    0x0402: "Inquiry Cancel",
    0x0403: "Periodic Inquiry Mode",
    0x0404: "Exit Periodic Inquiry Mode",
    0x0405: "Create Connection",
    0x0406: "Disconnect",
    0x0408: "Create Connection Cancel",
    0x0409: "Accept Connection Request",
    0x040A: "Reject Connection Request",
    0x040B: "Link Key Request Reply",
    0x040C: "Link Key Request Negative Reply",
    0x040D: "PIN Code Request Reply",
    0x040E: "PIN Code Request Negative Reply",
    0x040F: "Change Connection Packet Type",
    0x0411: "Authentication Requested",
    0x0413: "Set Connection Encryption",
    0x0415: "Change Connection Link Key",
    0x0417: "Link Key Selection",
    0x0419: "Remote Name Request",
    0x041A: "Remote Name Request Cancel",
    0x041B: "Read Remote Supported Features",
    0x041C: "Read Remote Extended Features",
    0x041D: "Read Remote Version Information",
    0x041F: "Read Clock Offset",
    0x0420: "Read LMP Handle",
    0x0428: "Setup Synchronous Connection",
    0x0429: "Accept Synchronous Connection Request",
    0x042A: "Reject Synchronous Connection Request",
    0x042B: "IO Capability Request Reply",
    0x042C: "User Confirmation Request Reply",
    0x042D: "User Confirmation Request Negative Reply",
    0x042E: "User Passkey Request Reply",
    0x042F: "User Passkey Request Negative Reply",
    0x0430: "Remote OOB Data Request Reply",
    0x0433: "Remote OOB Data Request Negative Reply",
    0x0434: "IO Capability Request Negative Reply",
    0x043D: "Enhanced Setup Synchronous Connection",
    0x043E: "Enhanced Accept Synchronous Connection Request",
    0x043F: "Truncated Page",
    0x0440: "Truncated Page Cancel",
    0x0441: "Set Connectionless Peripheral Broadcast",
    0x0442: "Set Connectionless Peripheral Broadcast Receive",
    0x0443: "Start Synchronization Train",
    0x0444: "Receive Synchronization Train",
    0x0445: "Remote OOB Extended Data Request Reply",
    # 7.2 Link Policy (OGF 0x02)
    0x0801: "Hold Mode",
    0x0803: "Sniff Mode",
    0x0804: "Exit Sniff Mode",
    0x0807: "QoS Setup",
    0x0809: "Role Discovery",
    0x080B: "Switch Role",
    0x080C: "Read Link Policy Settings",
    0x080D: "Write Link Policy Settings",
    0x080E: "Read Default Link Policy Settings",
    0x080F: "Write Default Link Policy Settings",
    0x0810: "Flow Specification",
    0x0811: "Sniff Subrating",
    # 7.3 Controller & Baseband (OGF 0x03)
    0x0C01: "Set Event Mask",
    0x0C03: "Reset",
    0x0C05: "Set Event Filter",
    0x0C08: "Flush",
    0x0C09: "Read PIN Type",
    0x0C0A: "Write PIN Type",
    0x0C0D: "Read Stored Link Key",
    0x0C11: "Write Stored Link Key",
    0x0C12: "Delete Stored Link Key",
    0x0C13: "Write Local Name",
    0x0C14: "Read Local Name",
    0x0C15: "Read Connection Accept Timeout",
    0x0C16: "Write Connection Accept Timeout",
    0x0C17: "Read Page Timeout",
    0x0C18: "Write Page Timeout",
    0x0C19: "Read Scan Enable",
    0x0C1A: "Write Scan Enable",
    0x0C1B: "Read Page Scan Activity",
    0x0C1C: "Write Page Scan Activity",
    0x0C1D: "Read Inquiry Scan Activity",
    0x0C1E: "Write Inquiry Scan Activity",
    0x0C1F: "Read Authentication Enable",
    0x0C20: "Write Authentication Enable",
    0x0C23: "Read Class of Device",
    0x0C24: "Write Class of Device",
    0x0C25: "Read Voice Setting",
    0x0C26: "Write Voice Setting",
    0x0C27: "Read Automatic Flush Timeout",
    0x0C28: "Write Automatic Flush Timeout",
    0x0C29: "Read Num Broadcast Retransmissions",
    0x0C2A: "Write Num Broadcast Retransmissions",
    0x0C2B: "Read Hold Mode Activity",
    0x0C2C: "Write Hold Mode Activity",
    0x0C2D: "Read Transmit Power Level",
    0x0C2E: "Read Synchronous Flow Control Enable",
    0x0C2F: "Write Synchronous Flow Control Enable",
    0x0C31: "Set Controller To Host Flow Control",
    0x0C33: "Host Buffer Size",
    0x0C35: "Host Number Of Completed Packets",
    0x0C36: "Read Link Supervision Timeout",
    0x0C37: "Write Link Supervision Timeout",
    0x0C38: "Read Number Of Supported IAC",
    0x0C39: "Read Current IAC LAP",
    0x0C3A: "Write Current IAC LAP",
    0x0C3F: "Set AFH Host Channel Classification",
    0x0C42: "Read Inquiry Scan Type",
    0x0C43: "Write Inquiry Scan Type",
    0x0C44: "Read Inquiry Mode",
    0x0C45: "Write Inquiry Mode",
    0x0C46: "Read Page Scan Type",
    0x0C47: "Write Page Scan Type",
    0x0C48: "Read AFH Channel Assessment Mode",
    0x0C49: "Write AFH Channel Assessment Mode",
    0x0C51: "Read Extended Inquiry Response",
    0x0C52: "Write Extended Inquiry Response",
    0x0C53: "Refresh Encryption Key",
    0x0C55: "Read Simple Pairing Mode",
    0x0C56: "Write Simple Pairing Mode",
    0x0C57: "Read Local OOB Data",
    0x0C58: "Read Inquiry Response Transmit Power Level",
    0x0C59: "Write Inquiry Transmit Power Level",
    0x0C5A: "Read Default Erroneous Data Reporting",
    0x0C5B: "Write Default Erroneous Data Reporting",
    0x0C5F: "Enhanced Flush",
    0x0C60: "Send Keypress Notification",
    0x0C63: "Set Event Mask Page 2",
    0x0C66: "Read Flow Control Mode",
    0x0C67: "Write Flow Control Mode",
    0x0C68: "Read Enhanced Transmit Power Level",
    0x0C6C: "Read LE Host Support",
    0x0C6D: "Write LE Host Support",
    0x0C6E: "Set MWS Channel Parameters",
    0x0C6F: "Set External Frame Configuration",
    0x0C70: "Set MWS Signaling",
    0x0C71: "Set MWS Transport Layer",
    0x0C72: "Set MWS Scan Frequency Table",
    0x0C73: "Set MWS PATTERN Configuration",
    0x0C74: "Set Reserved LT_ADDR",
    0x0C75: "Delete Reserved LT_ADDR",
    0x0C76: "Set Connectionless Peripheral Broadcast Data",
    0x0C77: "Read Synchronization Train Parameters",
    0x0C78: "Write Synchronization Train Parameters",
    0x0C79: "Read Secure Connections Host Support",
    0x0C7A: "Write Secure Connections Host Support",
    0x0C7B: "Read Authenticated Payload Timeout",
    0x0C7C: "Write Authenticated Payload Timeout",
    0x0C7D: "Read Local OOB Extended Data",
    0x0C7E: "Read Extended Page Timeout",
    0x0C7F: "Write Extended Page Timeout",
    0x0C80: "Read Extended Inquiry Length",
    0x0C81: "Write Extended Inquiry Length",
    0x0C82: "Set Ecosystem Base Interval",
    0x0C83: "Configure Data Path",
    0x0C84: "Set Min Encryption Key Size",
    # 7.4 Informational (OGF 0x04)
    0x1001: "Read Local Version Information",
    0x1002: "Read Local Supported Commands",
    0x1003: "Read Local Supported Features",
    0x1004: "Read Local Extended Features",
    0x1005: "Read Buffer Size",
    0x1009: "Read BD_ADDR",
    0x100A: "Read Data Block Size",
    0x100B: "Read Local Supported Codecs",
    0x100C: "Read Local Simple Pairing Options",
    0x100D: "Read Local Supported Codecs v2",
    0x100E: "Read Local Supported Codec Capabilities",
    0x100F: "Read Local Supported Controller Delay",
    # 7.5 Status (OGF 0x05)
    0x1401: "Read Failed Contact Counter",
    0x1402: "Reset Failed Contact Counter",
    0x1403: "Read Link Quality",
    0x1405: "Read RSSI",
    0x1406: "Read AFH Channel Map",
    0x1407: "Read Clock",
    0x1408: "Read Encryption Key Size",
    0x140C: "Get MWS Transport Layer Configuration",
    0x140D: "Set Triggered Clock Capture",
    # 7.6 Testing (OGF 0x06)
    0x1801: "Read Loopback Mode",
    0x1802: "Write Loopback Mode",
    0x1803: "Enable Implementation Under Test Mode",
    0x1804: "Write Simple Pairing Debug Mode",
    0x180A: "Write Secure Connections Test Mode",
    # 7.8 LE Controller (OGF 0x08)
    0x2001: "LE Set Event Mask",
    0x2002: "LE Read Buffer Size",
    0x2003: "LE Read Local Supported Features",
    0x2005: "LE Set Random Address",
    0x2006: "LE Set Advertising Parameters",
    0x2007: "LE Read Advertising Physical Channel Tx Power",
    0x2008: "LE Set Advertising Data",
    0x2009: "LE Set Scan Response Data",
    0x200A: "LE Set Advertising Enable",
    0x200B: "LE Set Scan Parameters",
    0x200C: "LE Set Scan Enable",
    0x200D: "LE Create Connection",
    0x200E: "LE Create Connection Cancel",
    0x200F: "LE Read Filter Accept List Size",
    0x2010: "LE Clear Filter Accept List",
    0x2011: "LE Add Device To Filter Accept List",
    0x2012: "LE Remove Device From Filter Accept List",
    0x2013: "LE Connection Update",
    0x2014: "LE Set Host Channel Classification",
    0x2015: "LE Read Channel Map",
    0x2016: "LE Read Remote Features",
    0x2017: "LE Encrypt",
    0x2018: "LE Rand",
    0x2019: "LE Start Encryption",
    0x201A: "LE Long Term Key Request Reply",
    0x201B: "LE Long Term Key Request Negative Reply",
    0x201C: "LE Read Supported States",
    0x201D: "LE Receiver Test",
    0x201E: "LE Transmitter Test",
    0x201F: "LE Test End",
    0x2020: "LE Remote Connection Parameter Request Reply",
    0x2021: "LE Remote Connection Parameter Request Negative Reply",
    0x2022: "LE Set Data Length",
    0x2023: "LE Read Suggested Default Data Length",
    0x2024: "LE Write Suggested Default Data Length",
    0x2025: "LE Read Local P-256 Public Key",
    0x2026: "LE Generate DHKey",
    0x2027: "LE Add Device To Resolving List",
    0x2028: "LE Remove Device From Resolving List",
    0x2029: "LE Clear Resolving List",
    0x202A: "LE Read Resolving List Size",
    0x202B: "LE Read Peer Resolvable Address",
    0x202C: "LE Read Local Resolvable Address",
    0x202D: "LE Set Address Resolution Enable",
    0x202E: "LE Set Resolvable Private Address Timeout",
    0x202F: "LE Read Maximum Data Length",
    0x2030: "LE Read PHY",
    0x2031: "LE Set Default PHY",
    0x2032: "LE Set PHY",
    0x2033: "LE Receiver Test v2",
    0x2034: "LE Transmitter Test v2",
    0x2035: "LE Set Advertising Set Random Address",
    0x2036: "LE Set Extended Advertising Parameters",
    0x2037: "LE Set Extended Advertising Data",
    0x2038: "LE Set Extended Scan Response Data",
    0x2039: "LE Set Extended Advertising Enable",
    0x203A: "LE Read Maximum Advertising Data Length",
    0x203B: "LE Read Number of Supported Advertising Sets",
    0x203C: "LE Remove Advertising Set",
    0x203D: "LE Clear Advertising Sets",
    0x203E: "LE Set Periodic Advertising Parameters",
    0x203F: "LE Set Periodic Advertising Data",
    0x2040: "LE Set Periodic Advertising Enable",
    0x2041: "LE Set Extended Scan Parameters",
    0x2042: "LE Set Extended Scan Enable",
    0x2043: "LE Extended Create Connection",
    0x2044: "LE Periodic Advertising Create Sync",
    0x2045: "LE Periodic Advertising Create Sync Cancel",
    0x2046: "LE Periodic Advertising Terminate Sync",
    0x2047: "LE Add Device To Periodic Advertiser List",
    0x2048: "LE Remove Device From Periodic Advertiser List",
    0x2049: "LE Clear Periodic Advertiser List",
    0x204A: "LE Read Periodic Advertiser List Size",
    0x204B: "LE Read Transmit Power",
    0x204C: "LE Read RF Path Compensation",
    0x204D: "LE Write RF Path Compensation",
    0x204E: "LE Set Privacy Mode",
    0x204F: "LE Receiver Test v3",
    0x2050: "LE Transmitter Test v3",
    0x2051: "LE Set Connectionless CTE Transmit Parameters",
    0x2052: "LE Set Connectionless CTE Transmit Enable",
    0x2053: "LE Set Connectionless IQ Sampling Enable",
    0x2054: "LE Set Connection CTE Receive Parameters",
    0x2055: "LE Set Connection CTE Transmit Parameters",
    0x2056: "LE Connection CTE Request Enable",
    0x2057: "LE Connection CTE Response Enable",
    0x2058: "LE Read Antenna Information",
    0x2059: "LE Set Periodic Advertising Receive Enable",
    0x205A: "LE Periodic Advertising Sync Transfer",
    0x205B: "LE Periodic Advertising Set Info Transfer",
    0x205C: "LE Set Periodic Advertising Sync Transfer Parameters",
    0x205D: "LE Set Default Periodic Advertising Sync Transfer Parameters",
    0x205E: "LE Generate DHKey v2",
    0x205F: "LE Modify Sleep Clock Accuracy",
    0x2060: "LE Read Buffer Size v2",
    0x2061: "LE Read ISO TX Sync",
    0x2062: "LE Set CIG Parameters",
    0x2063: "LE Set CIG Parameters Test",
    0x2064: "LE Create CIS",
    0x2065: "LE Remove CIG",
    0x2066: "LE Accept CIS Request",
    0x2067: "LE Reject CIS Request",
    0x2068: "LE Create BIG",
    0x2069: "LE Create BIG Test",
    0x206A: "LE Terminate BIG",
    0x206B: "LE BIG Create Sync",
    0x206C: "LE BIG Terminate Sync",
    0x206D: "LE Request Peer SCA",
    0x206E: "LE Setup ISO Data Path",
    0x206F: "LE Remove ISO Data Path",
    0x2070: "LE ISO Transmit Test",
    0x2071: "LE ISO Receive Test",
    0x2072: "LE ISO Read Test Counters",
    0x2073: "LE ISO Test End",
    0x2074: "LE Set Host Feature",
    0x2075: "LE Read ISO Link Quality",
    0x2076: "LE Enhanced Read Transmit Power Level",
    0x2077: "LE Read Remote Transmit Power Level",
    0x2078: "LE Set Path Loss Reporting Parameters",
    0x2079: "LE Set Path Loss Reporting Enable",
    0x207A: "LE Set Transmit Power Reporting Enable",
    0x207B: "LE Transmitter Test v4",
    0x207C: "LE Set Data Related Address Changes",
    0x207D: "LE Set Default Subrate",
    0x207E: "LE Subrate Request",
    0x207F: "LE Set Extended Advertising Parameters v2",
    0x2080: "LE Set Decision Data",
    0x2081: "LE Set Decision Instructions",
    0x2082: "LE Set Periodic Advertising Subevent Data",
    0x2083: "LE Set Periodic Advertising Response Data",
    0x2084: "LE Set Periodic Sync Subevent",
    0x2085: "LE Extended Create Connection v2",
    0x2086: "LE Set Periodic Advertising Parameters v2",
    0x2087: "LE Read All Local Supported Features",
    0x2088: "LE Read All Remote Features",
    0x2089: "LE CS Read Local Supported Capabilities",
    0x208A: "LE CS Read Remote Supported Capabilities",
    0x208B: "LE CS Write Cached Remote Supported Capabilities",
    0x208C: "LE CS Security Enable",
    0x208D: "LE CS Set Default Settings",
    0x208E: "LE CS Read Remote FAE Table",
    0x208F: "LE CS Write Cached Remote FAE Table",
    0x2090: "LE CS Create Config",
    0x2091: "LE CS Remove Config",
    0x2092: "LE CS Set Channel Classification",
    0x2093: "LE CS Set Procedure Parameters",
    0x2094: "LE CS Procedure Enable",
    0x2095: "LE CS Test",
    0x2096: "LE CS Test End",
    0x2097: "LE Set Host Feature v2",
}

# Vol 4, Part E, 7.7 — event codes.  0x3F–0x47 and 0x49–0x4D were AMP events (withdrawn).
EVENT_NAMES: dict[int, str] = {
    0x01: "Inquiry Complete",
    0x02: "Inquiry Result",
    0x03: "Connection Complete",
    0x04: "Connection Request",
    0x05: "Disconnection Complete",
    0x06: "Authentication Complete",
    0x07: "Remote Name Request Complete",
    0x08: "Encryption Change",
    0x09: "Change Connection Link Key Complete",
    0x0A: "Link Key Type Changed",
    0x0B: "Read Remote Supported Features Complete",
    0x0C: "Read Remote Version Information Complete",
    0x0D: "QoS Setup Complete",
    0x0E: "Command Complete",
    0x0F: "Command Status",
    0x10: "Hardware Error",
    0x11: "Flush Occurred",
    0x12: "Role Change",
    0x13: "Number Of Completed Packets",
    0x14: "Mode Change",
    0x15: "Return Link Keys",
    0x16: "PIN Code Request",
    0x17: "Link Key Request",
    0x18: "Link Key Notification",
    0x19: "Loopback Command",
    0x1A: "Data Buffer Overflow",
    0x1B: "Max Slots Change",
    0x1C: "Read Clock Offset Complete",
    0x1D: "Connection Packet Type Changed",
    0x1E: "QoS Violation",
    0x20: "Page Scan Repetition Mode Change",
    0x21: "Flow Specification Complete",
    0x22: "Inquiry Result with RSSI",
    0x23: "Read Remote Extended Features Complete",
    0x2C: "Synchronous Connection Complete",
    0x2D: "Synchronous Connection Changed",
    0x2E: "Sniff Subrating",
    0x2F: "Extended Inquiry Result",
    0x30: "Encryption Key Refresh Complete",
    0x31: "IO Capability Request",
    0x32: "IO Capability Response",
    0x33: "User Confirmation Request",
    0x34: "User Passkey Request",
    0x35: "Remote OOB Data Request",
    0x36: "Simple Pairing Complete",
    0x38: "Link Supervision Timeout Changed",
    0x39: "Enhanced Flush Complete",
    0x3B: "User Passkey Notification",
    0x3C: "Keypress Notification",
    0x3D: "Remote Host Supported Features Notification",
    0x3E: "LE Meta",
    0x48: "Number Of Completed Data Blocks",
    0x4E: "Triggered Clock Capture",
    0x4F: "Synchronization Train Complete",
    0x50: "Synchronization Train Received",
    0x51: "Connectionless Peripheral Broadcast Receive",
    0x52: "Connectionless Peripheral Broadcast Timeout",
    0x53: "Truncated Page Complete",
    0x54: "Peripheral Page Response Timeout",
    0x55: "Connectionless Peripheral Broadcast Channel Map Change",
    0x56: "Inquiry Response Notification",
    0x57: "Authenticated Payload Timeout Expired",
    0x58: "SAM Status Change",
    0x59: "Encryption Change v2",
    0xFE: "Bluetooth Logo Testing",
    0xFF: "Vendor Specific",
}

# Vol 4, Part E, 7.7.65 — LE Meta subevent codes.
LE_SUBEVENT_NAMES: dict[int, str] = {
    0x01: "LE Connection Complete",
    0x02: "LE Advertising Report",
    0x03: "LE Connection Update Complete",
    0x04: "LE Read Remote Features Complete",
    0x05: "LE Long Term Key Request",
    0x06: "LE Remote Connection Parameter Request",
    0x07: "LE Data Length Change",
    0x08: "LE Read Local P-256 Public Key Complete",
    0x09: "LE Generate DHKey Complete",
    0x0A: "LE Enhanced Connection Complete",
    0x0B: "LE Directed Advertising Report",
    0x0C: "LE PHY Update Complete",
    0x0D: "LE Extended Advertising Report",
    0x0E: "LE Periodic Advertising Sync Established",
    0x0F: "LE Periodic Advertising Report",
    0x10: "LE Periodic Advertising Sync Lost",
    0x11: "LE Scan Timeout",
    0x12: "LE Advertising Set Terminated",
    0x13: "LE Scan Request Received",
    0x14: "LE Channel Selection Algorithm",
    0x15: "LE Connectionless IQ Report",
    0x16: "LE Connection IQ Report",
    0x17: "LE CTE Request Failed",
    0x18: "LE Periodic Advertising Sync Transfer Received",
    0x19: "LE CIS Established",
    0x1A: "LE CIS Request",
    0x1B: "LE Create BIG Complete",
    0x1C: "LE Terminate BIG Complete",
    0x1D: "LE BIG Sync Established",
    0x1E: "LE BIG Sync Lost",
    0x1F: "LE Request Peer SCA Complete",
    0x20: "LE Path Loss Threshold",
    0x21: "LE Transmit Power Reporting",
    0x22: "LE BIGInfo Advertising Report",
    0x23: "LE Subrate Change",
    0x24: "LE Periodic Advertising Sync Established v2",
    0x25: "LE Periodic Advertising Report v2",
    0x26: "LE Periodic Advertising Sync Transfer Received v2",
    0x27: "LE Periodic Advertising Subevent Data Request",
    0x28: "LE Periodic Advertising Response Report",
    0x29: "LE Enhanced Connection Complete v2",
    0x2A: "LE CIS Established v2",
    0x2B: "LE Read All Remote Features Complete",
    0x2C: "LE CS Read Remote Supported Capabilities Complete",
    0x2D: "LE CS Read Remote FAE Table Complete",
    0x2E: "LE CS Security Enable Complete",
    0x2F: "LE CS Config Complete",
    0x30: "LE CS Procedure Enable Complete",
    0x31: "LE CS Subevent Result",
    0x32: "LE CS Subevent Result Continue",
    0x33: "LE CS Test End Complete",
}

# Vol 4, Part E, 7.8.12 / 7.7.65.1: Peer_Address_Type.
ADDRESS_TYPES = {0: "public", 1: "random", 2: "public-identity", 3: "random-identity"}
ROLES = {0: "central", 1: "peripheral"}


def _reserved(value: int, width: int = 2) -> str:
    return f"reserved (0x{value:0{width}x})"


def status_name(code: int) -> str:
    """Name of an HCI error code (Vol 1, Part F, 1.3); ``reserved (0x..)`` if unassigned."""
    return STATUS_NAMES.get(code) or _reserved(code)


def command_name(opcode: int) -> str:
    """Name of an HCI command opcode; vendor commands (OGF 0x3F) by their opcode."""
    if opcode >> 10 == 0x3F:
        return f"Vendor Command (0x{opcode:04x})"
    return COMMAND_NAMES.get(opcode) or _reserved(opcode, 4)


def event_name(code: int) -> str:
    return EVENT_NAMES.get(code) or _reserved(code)


def le_subevent_name(code: int) -> str:
    return LE_SUBEVENT_NAMES.get(code) or f"LE Meta {_reserved(code)}"


def role_name(role: int) -> str:
    return ROLES.get(role) or _reserved(role)


def address_str(wire: bytes) -> str:
    """A BD_ADDR as printed: most significant byte first (the wire order is reversed)."""
    return ":".join(f"{b:02X}" for b in reversed(wire))


def address_type_name(t: int) -> str:
    return ADDRESS_TYPES.get(t) or _reserved(t)


def _need(params: bytes, n: int, what: str) -> None:
    if len(params) < n:
        raise Truncated(f"HCI {what} needs {n} parameter bytes, got {len(params)}", layer="hci")


def _handle(params: bytes, offset: int = 0) -> int:
    """A Connection_Handle: 12 bits of a little-endian u16 (the top bits are RFU)."""
    return int(_U16.unpack_from(params, offset)[0]) & 0x0FFF


# ================================================================ commands
@dataclass(frozen=True, slots=True)
class HciCommand:
    """Any HCI command bpdiag has no class for (Vol 4, Part E, 5.4.1): opcode and raw
    parameters."""

    opcode: int
    params: bytes = b""

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Vol 4, Part E, 7.1.6 HCI_Disconnect: Connection_Handle, Reason."""

    handle: int
    reason: int
    opcode: ClassVar[int] = 0x0406
    name: ClassVar[str] = "Disconnect"

    def fields(self) -> dict[str, object]:
        return {
            "handle": self.handle,
            "reason": self.reason,
            "reason_name": status_name(self.reason),
        }


@dataclass(frozen=True, slots=True)
class AuthenticationRequested:
    """Vol 4, Part E, 7.1.15 HCI_Authentication_Requested: Connection_Handle."""

    handle: int
    opcode: ClassVar[int] = 0x0411
    name: ClassVar[str] = "Authentication Requested"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


@dataclass(frozen=True, slots=True)
class SetConnectionEncryption:
    """Vol 4, Part E, 7.1.16 HCI_Set_Connection_Encryption: Connection_Handle,
    Encryption_Enable (0x00 off, 0x01 on)."""

    handle: int
    encryption_enable: int
    opcode: ClassVar[int] = 0x0413
    name: ClassVar[str] = "Set Connection Encryption"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle, "encryption_enable": self.encryption_enable}


@dataclass(frozen=True, slots=True)
class ReadBdAddr:
    """Vol 4, Part E, 7.4.6 HCI_Read_BD_ADDR (no parameters; the address comes back in the
    Command Complete event)."""

    opcode: ClassVar[int] = 0x1009
    name: ClassVar[str] = "Read BD_ADDR"

    def fields(self) -> dict[str, object]:
        return {}


@dataclass(frozen=True, slots=True)
class LeCreateConnection:
    """Vol 4, Part E, 7.8.12 HCI_LE_Create_Connection (25 parameter octets): LE_Scan_Interval,
    LE_Scan_Window, Initiator_Filter_Policy, Peer_Address_Type, Peer_Address,
    Own_Address_Type, Connection_Interval_Min/Max, Max_Latency, Supervision_Timeout,
    Min/Max_CE_Length."""

    peer_address_type: int
    peer_address: str
    own_address_type: int
    initiator_filter_policy: int
    scan_interval: int | None
    scan_window: int | None
    conn_interval_min: int | None
    conn_interval_max: int | None
    max_latency: int | None
    supervision_timeout: int | None
    opcode: ClassVar[int] = 0x200D

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {
            "peer_address_type": self.peer_address_type,
            "peer_address": self.peer_address,
            "own_address_type": self.own_address_type,
            "initiator_filter_policy": self.initiator_filter_policy,
            "scan_interval": self.scan_interval,
            "scan_window": self.scan_window,
            "conn_interval_min": self.conn_interval_min,
            "conn_interval_max": self.conn_interval_max,
            "max_latency": self.max_latency,
            "supervision_timeout": self.supervision_timeout,
        }


@dataclass(frozen=True, slots=True)
class LeExtendedCreateConnection(LeCreateConnection):
    """Vol 4, Part E, 7.8.66 HCI_LE_Extended_Create_Connection (v1): Initiator_Filter_Policy,
    Own_Address_Type, Peer_Address_Type, Peer_Address, Initiating_PHYs, then one 16-octet
    block of scan and connection parameters per PHY bit set (bit 0 LE 1M, bit 1 LE 2M,
    bit 2 LE Coded).  The first block's values are kept (``None`` when no PHY bit is set,
    which the spec does not allow).  A subclass of ``LeCreateConnection``: the same request
    with a PHY choice."""

    initiating_phys: int = 0
    opcode: ClassVar[int] = 0x2043

    def fields(self) -> dict[str, object]:
        out = LeCreateConnection.fields(self)
        out["initiating_phys"] = self.initiating_phys
        return out


@dataclass(frozen=True, slots=True)
class LeEnableEncryption:
    """Vol 4, Part E, 7.8.24 HCI_LE_Enable_Encryption ("LE Start Encryption" before v5.3):
    Connection_Handle, Random_Number (8), Encrypted_Diversifier (2), Long_Term_Key (16)."""

    handle: int
    rand: bytes
    ediv: int
    ltk: bytes
    opcode: ClassVar[int] = 0x2019
    name: ClassVar[str] = "LE Start Encryption"

    def fields(self) -> dict[str, object]:
        return {
            "handle": self.handle,
            "rand": self.rand.hex(),
            "ediv": self.ediv,
            "ltk": self.ltk.hex(),
        }


LeStartEncryption = LeEnableEncryption


@dataclass(frozen=True, slots=True)
class LeLtkReply:
    """Vol 4, Part E, 7.8.25 HCI_LE_Long_Term_Key_Request_Reply: Connection_Handle,
    Long_Term_Key (16)."""

    handle: int
    ltk: bytes
    opcode: ClassVar[int] = 0x201A
    name: ClassVar[str] = "LE Long Term Key Request Reply"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle, "ltk": self.ltk.hex()}


@dataclass(frozen=True, slots=True)
class LeLtkNegativeReply:
    """Vol 4, Part E, 7.8.26 HCI_LE_Long_Term_Key_Request_Negative_Reply: Connection_Handle."""

    handle: int
    opcode: ClassVar[int] = 0x201B
    name: ClassVar[str] = "LE Long Term Key Request Negative Reply"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


HciCommandMessage = (
    HciCommand
    | Disconnect
    | AuthenticationRequested
    | SetConnectionEncryption
    | ReadBdAddr
    | LeCreateConnection
    | LeEnableEncryption
    | LeLtkReply
    | LeLtkNegativeReply
)

TYPED_COMMANDS = frozenset({0x0406, 0x0411, 0x0413, 0x1009, 0x200D, 0x2019, 0x201A, 0x201B, 0x2043})
"""Opcodes ``parse_command`` decodes into their own class."""

_PHY_BLOCK = struct.Struct("<HHHHHHHH")


def _le_create_connection(params: bytes) -> LeCreateConnection:
    _need(params, 25, "LE Create Connection")
    scan_i, scan_w, policy, atype = struct.unpack_from("<HHBB", params)
    own, imin, imax, lat, tmo = struct.unpack_from("<BHHHH", params, 12)
    return LeCreateConnection(
        atype, address_str(params[6:12]), own, policy, scan_i, scan_w, imin, imax, lat, tmo
    )


def _le_extended_create_connection(params: bytes) -> LeExtendedCreateConnection:
    _need(params, 10, "LE Extended Create Connection")
    policy, own, atype = params[0], params[1], params[2]
    phys = params[9]
    blocks = bin(phys & 0x07).count("1")
    _need(params, 10 + 16 * blocks, f"LE Extended Create Connection with {blocks} PHY(s)")
    block: tuple[int | None, ...] = (None,) * 8
    if blocks:  # the first PHY's block: scan interval/window, interval min/max, latency, timeout
        block = _PHY_BLOCK.unpack_from(params, 10)
    return LeExtendedCreateConnection(
        peer_address_type=atype,
        peer_address=address_str(params[3:9]),
        own_address_type=own,
        initiator_filter_policy=policy,
        scan_interval=block[0],
        scan_window=block[1],
        conn_interval_min=block[2],
        conn_interval_max=block[3],
        max_latency=block[4],
        supervision_timeout=block[5],
        initiating_phys=phys,
    )


def parse_command(data: bytes) -> HciCommandMessage:
    """Decode an HCI command packet (Vol 4, Part E, 5.4.1): opcode (u16 LE), parameter total
    length (u8), parameters."""
    if len(data) < 3:
        raise Truncated(f"HCI command header needs 3 bytes, got {len(data)}", layer="hci")
    opcode = int(_U16.unpack_from(data)[0])
    plen = data[2]
    params = bytes(data[3:])
    if len(params) != plen:
        error = Truncated if len(params) < plen else BadLength
        raise error(
            f"HCI {command_name(opcode)}: parameter length says {plen}, got {len(params)}",
            layer="hci",
        )
    if opcode == 0x2019:
        _need(params, 28, "LE Start Encryption")
        return LeEnableEncryption(
            _handle(params), params[2:10], int(_U16.unpack_from(params, 10)[0]), params[12:28]
        )
    if opcode == 0x201A:
        _need(params, 18, "LE Long Term Key Request Reply")
        return LeLtkReply(_handle(params), params[2:18])
    if opcode == 0x201B:
        _need(params, 2, "LE Long Term Key Request Negative Reply")
        return LeLtkNegativeReply(_handle(params))
    if opcode == 0x0406:
        _need(params, 3, "Disconnect")
        return Disconnect(_handle(params), params[2])
    if opcode == 0x200D:
        return _le_create_connection(params)
    if opcode == 0x2043:
        return _le_extended_create_connection(params)
    if opcode == 0x0411:
        _need(params, 2, "Authentication Requested")
        return AuthenticationRequested(_handle(params))
    if opcode == 0x0413:
        _need(params, 3, "Set Connection Encryption")
        return SetConnectionEncryption(_handle(params), params[2])
    if opcode == 0x1009:
        return ReadBdAddr()
    return HciCommand(opcode, params)


# ================================================================ events
@dataclass(frozen=True, slots=True)
class HciEvent:
    """Any HCI event bpdiag has no class for (Vol 4, Part E, 5.4.4): event code and raw
    parameters."""

    code: int
    params: bytes = b""

    @property
    def name(self) -> str:
        return event_name(self.code)

    def fields(self) -> dict[str, object]:
        return {"params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class LeMetaEvent:
    """An LE Meta subevent bpdiag has no class for (Vol 4, Part E, 7.7.65): subevent code
    and the parameters after it."""

    subevent: int
    params: bytes = b""
    code: ClassVar[int] = 0x3E

    @property
    def name(self) -> str:
        return le_subevent_name(self.subevent)

    def fields(self) -> dict[str, object]:
        return {"subevent": self.subevent, "params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class ConnectionComplete:
    """Vol 4, Part E, 7.7.3 HCI_Connection_Complete (BR/EDR, 11 octets): Status,
    Connection_Handle, BD_ADDR, Link_Type, Encryption_Enabled."""

    status: int
    handle: int
    peer_address: str
    link_type: int
    encryption_enabled: int
    code: ClassVar[int] = 0x03
    name: ClassVar[str] = "Connection Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
            "peer_address": self.peer_address,
            "link_type": self.link_type,
            "encryption_enabled": self.encryption_enabled,
        }


@dataclass(frozen=True, slots=True)
class DisconnectionComplete:
    """Vol 4, Part E, 7.7.5 HCI_Disconnection_Complete (4 octets): Status,
    Connection_Handle, Reason."""

    status: int
    handle: int
    reason: int
    code: ClassVar[int] = 0x05
    name: ClassVar[str] = "Disconnection Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
            "reason": self.reason,
            "reason_name": status_name(self.reason),
        }


@dataclass(frozen=True, slots=True)
class EncryptionChange:
    """Vol 4, Part E, 7.7.8 HCI_Encryption_Change v1 (0x08, 4 octets: Status,
    Connection_Handle, Encryption_Enabled) and 7.7.8.2 v2 (0x59, 5 octets: the same plus
    Encryption_Key_Size; ``key_size`` is ``None`` for v1)."""

    code: int
    status: int
    handle: int
    encryption_enabled: int
    key_size: int | None = None

    @property
    def name(self) -> str:
        return event_name(self.code)

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
            "encryption_enabled": self.encryption_enabled,
        }
        if self.key_size is not None:
            out["key_size"] = self.key_size
        return out


@dataclass(frozen=True, slots=True)
class EncryptionKeyRefreshComplete:
    """Vol 4, Part E, 7.7.39 HCI_Encryption_Key_Refresh_Complete (3 octets): Status,
    Connection_Handle."""

    status: int
    handle: int
    code: ClassVar[int] = 0x30
    name: ClassVar[str] = "Encryption Key Refresh Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
        }


@dataclass(frozen=True, slots=True)
class CommandComplete:
    """Vol 4, Part E, 7.7.14 HCI_Command_Complete: Num_HCI_Command_Packets, Command_Opcode,
    Return_Parameters.  ``opcode`` is the command's; ``status`` the first return parameter
    (``None`` when there are none).  Decoded further for Read BD_ADDR (7.4.6: Status,
    BD_ADDR) and the LTK replies (7.8.25 / 7.8.26: Status, Connection_Handle); when the
    command failed the controller may send the status alone, and the rest is ``None``."""

    opcode: int
    status: int | None
    handle: int | None = None
    bd_addr: str | None = None
    num_packets: int = 1
    code: ClassVar[int] = 0x0E

    @property
    def name(self) -> str:
        return f"Command Complete ({command_name(self.opcode)})"

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "command_opcode": self.opcode,
            "command_name": command_name(self.opcode),
            "status": self.status,
        }
        if self.status is not None:
            out["status_name"] = status_name(self.status)
        if self.handle is not None:
            out["handle"] = self.handle
        if self.bd_addr is not None:
            out["bd_addr"] = self.bd_addr
        return out


@dataclass(frozen=True, slots=True)
class CommandStatus:
    """Vol 4, Part E, 7.7.15 HCI_Command_Status (4 octets): Status, Num_HCI_Command_Packets,
    Command_Opcode.  ``opcode`` is the command's."""

    status: int
    opcode: int
    num_packets: int = 1
    code: ClassVar[int] = 0x0F

    @property
    def name(self) -> str:
        return f"Command Status ({command_name(self.opcode)})"

    def fields(self) -> dict[str, object]:
        return {
            "command_opcode": self.opcode,
            "command_name": command_name(self.opcode),
            "status": self.status,
            "status_name": status_name(self.status),
        }


@dataclass(frozen=True, slots=True)
class LeConnectionComplete:
    """Vol 4, Part E, 7.7.65.1 HCI_LE_Connection_Complete (0x01, 18 octets after the
    subevent code), 7.7.65.10 HCI_LE_Enhanced_Connection_Complete v1 (0x0A, 30 octets: adds
    Local_ and Peer_Resolvable_Private_Address) and v2 (0x29, 33 octets: adds
    Advertising_Handle and Sync_Handle).  ``role`` is the local controller's: 0 central,
    1 peripheral."""

    subevent: int
    status: int
    handle: int
    role: int
    peer_address_type: int
    peer_address: str
    interval: int
    latency: int
    timeout: int
    central_clock_accuracy: int = 0
    local_rpa: str | None = None
    peer_rpa: str | None = None
    adv_handle: int | None = None
    sync_handle: int | None = None
    code: ClassVar[int] = 0x3E

    @property
    def name(self) -> str:
        return le_subevent_name(self.subevent)

    @property
    def role_name(self) -> str:
        return role_name(self.role)

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "subevent": self.subevent,
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
            "role": self.role_name,
            "peer_address_type": self.peer_address_type,
            "peer_address": self.peer_address,
            "interval": self.interval,
            "latency": self.latency,
            "timeout": self.timeout,
        }
        if self.local_rpa is not None:
            out["local_rpa"] = self.local_rpa
            out["peer_rpa"] = self.peer_rpa
        if self.adv_handle is not None:
            out["adv_handle"] = self.adv_handle
            out["sync_handle"] = self.sync_handle
        return out


@dataclass(frozen=True, slots=True)
class LeLtkRequest:
    """Vol 4, Part E, 7.7.65.5 HCI_LE_Long_Term_Key_Request (12 octets after the subevent
    code): Connection_Handle, Random_Number (8), Encrypted_Diversifier (2)."""

    handle: int
    rand: bytes
    ediv: int
    subevent: ClassVar[int] = 0x05
    code: ClassVar[int] = 0x3E
    name: ClassVar[str] = "LE Long Term Key Request"

    def fields(self) -> dict[str, object]:
        return {"subevent": 0x05, "handle": self.handle, "rand": self.rand.hex(), "ediv": self.ediv}


HciEventMessage = (
    HciEvent
    | LeMetaEvent
    | ConnectionComplete
    | DisconnectionComplete
    | EncryptionChange
    | EncryptionKeyRefreshComplete
    | CommandComplete
    | CommandStatus
    | LeConnectionComplete
    | LeLtkRequest
)

TYPED_EVENTS = frozenset({0x03, 0x05, 0x08, 0x0E, 0x0F, 0x30, 0x3E, 0x59})
"""Event codes ``parse_event`` decodes into their own class (0x3E: see ``TYPED_SUBEVENTS``)."""
TYPED_SUBEVENTS = frozenset({0x01, 0x05, 0x0A, 0x29})

_LE_CONN = struct.Struct("<BHBB")  # status, handle, role, peer address type
_LE_TIMING = struct.Struct("<HHHB")  # interval, latency, timeout, central clock accuracy
_HANDLE_RETURN = frozenset({0x201A, 0x201B})


def _le_meta(params: bytes) -> LeConnectionComplete | LeLtkRequest | LeMetaEvent:
    if not params:
        raise Truncated("HCI LE Meta event needs 1 parameter byte, got 0", layer="hci")
    sub = params[0]
    p = params[1:]
    if sub == 0x01:
        _need(p, 18, "LE Connection Complete")
        status, handle, role, atype = _LE_CONN.unpack_from(p)
        interval, latency, timeout, sca = _LE_TIMING.unpack_from(p, 11)
        return LeConnectionComplete(
            sub,
            status,
            handle & 0x0FFF,
            role,
            atype,
            address_str(p[5:11]),
            interval,
            latency,
            timeout,
            sca,
        )
    if sub == 0x0A or sub == 0x29:
        _need(p, 30 if sub == 0x0A else 33, le_subevent_name(sub))
        status, handle, role, atype = _LE_CONN.unpack_from(p)
        interval, latency, timeout, sca = _LE_TIMING.unpack_from(p, 23)
        adv_handle = sync_handle = None
        if sub == 0x29:
            adv_handle, sync_handle = p[30], int(_U16.unpack_from(p, 31)[0])
        return LeConnectionComplete(
            sub,
            status,
            handle & 0x0FFF,
            role,
            atype,
            address_str(p[5:11]),
            interval,
            latency,
            timeout,
            sca,
            address_str(p[11:17]),
            address_str(p[17:23]),
            adv_handle,
            sync_handle,
        )
    if sub == 0x05:
        _need(p, 12, "LE Long Term Key Request")
        return LeLtkRequest(_handle(p), p[2:10], int(_U16.unpack_from(p, 10)[0]))
    return LeMetaEvent(sub, p)


def _command_complete(params: bytes) -> CommandComplete:
    _need(params, 3, "Command Complete")
    npk = params[0]
    opcode = int(_U16.unpack_from(params, 1)[0])
    ret = params[3:]
    if not ret:
        return CommandComplete(opcode, None, num_packets=npk)
    status = ret[0]
    if opcode in _HANDLE_RETURN:
        if len(ret) >= 3:
            return CommandComplete(opcode, status, _handle(ret, 1), num_packets=npk)
        if status == 0:
            _need(ret, 3, f"Command Complete ({command_name(opcode)}) return")
    elif opcode == 0x1009:
        if len(ret) >= 7:
            return CommandComplete(opcode, status, bd_addr=address_str(ret[1:7]), num_packets=npk)
        if status == 0:
            _need(ret, 7, "Command Complete (Read BD_ADDR) return")
    return CommandComplete(opcode, status, num_packets=npk)


def parse_event(data: bytes) -> HciEventMessage:
    """Decode an HCI event packet (Vol 4, Part E, 5.4.4): event code (u8), parameter total
    length (u8), parameters."""
    if len(data) < 2:
        raise Truncated(f"HCI event header needs 2 bytes, got {len(data)}", layer="hci")
    code, plen = data[0], data[1]
    params = bytes(data[2:])
    if len(params) != plen:
        error = Truncated if len(params) < plen else BadLength
        raise error(
            f"HCI {event_name(code)} event: parameter length says {plen}, got {len(params)}",
            layer="hci",
        )
    if code == 0x3E:
        return _le_meta(params)
    if code == 0x05:
        _need(params, 4, "Disconnection Complete")
        return DisconnectionComplete(params[0], _handle(params, 1), params[3])
    if code == 0x08:
        _need(params, 4, "Encryption Change")
        return EncryptionChange(code, params[0], _handle(params, 1), params[3])
    if code == 0x59:
        _need(params, 5, "Encryption Change v2")
        return EncryptionChange(code, params[0], _handle(params, 1), params[3], params[4])
    if code == 0x0E:
        return _command_complete(params)
    if code == 0x0F:
        _need(params, 4, "Command Status")
        return CommandStatus(params[0], int(_U16.unpack_from(params, 2)[0]), params[1])
    if code == 0x30:
        _need(params, 3, "Encryption Key Refresh Complete")
        return EncryptionKeyRefreshComplete(params[0], _handle(params, 1))
    if code == 0x03:
        _need(params, 11, "Connection Complete")
        return ConnectionComplete(
            params[0], _handle(params, 1), address_str(params[3:9]), params[9], params[10]
        )
    return HciEvent(code, params)


# ================================================================ ACL data
_ACL = struct.Struct("<HH")


def parse_acl(data: bytes, *, allow_extra: bool = False) -> tuple[int, int, int, bytes]:
    """Decode an HCI ACL data packet (Vol 4, Part E, 5.4.2): Handle (12 bits),
    Packet_Boundary_Flag (2 bits), Broadcast_Flag (2 bits), Data_Total_Length (u16), data.

    Returns ``(handle, pb_flag, bc_flag, payload)``.  A length field larger than the data
    raises ``Truncated``, smaller raises ``BadLength`` — unless ``allow_extra``, which cuts
    the payload to the length field (trailing bytes are transport padding or junk).
    """
    if len(data) < 4:
        raise Truncated(f"HCI ACL header needs 4 bytes, got {len(data)}", layer="hci")
    hf, length = _ACL.unpack_from(data)
    payload = bytes(data[4:])
    if len(payload) != length:
        if len(payload) < length:
            raise Truncated(f"HCI ACL data length says {length}, got {len(payload)}", layer="hci")
        if not allow_extra:
            raise BadLength(f"HCI ACL data length says {length}, got {len(payload)}", layer="hci")
        payload = payload[:length]
    return hf & 0x0FFF, (hf >> 12) & 3, (hf >> 14) & 3, payload
