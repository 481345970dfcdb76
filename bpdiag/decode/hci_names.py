"""The spec's names of HCI error codes, command opcodes, event codes and LE Meta subevents.

Data only, read by ``bpdiag.decode.hci``'s ``status_name``, ``command_name``, ``event_name``
and ``le_subevent_name`` (which name a value in none of these tables ``reserved (0x..)``).
Bluetooth Core Spec v5.4 (and the v6.0 additions): Vol 1, Part F, 1.3; Vol 4, Part E, 7.
"""

from __future__ import annotations

from bpdiag.decode.labels import Labelled


# Vol 1, Part F, 1.3, Table 1.1 — controller error codes and the spec's wording of each, one member
# per code.
class ErrorCode(Labelled):
    """An HCI error code (Vol 1, Part F, 1.3, Table 1.1); analysis and rules compare with these."""

    SUCCESS = 0x00
    UNKNOWN_HCI_COMMAND = 0x01
    UNKNOWN_CONNECTION_IDENTIFIER = 0x02
    HARDWARE_FAILURE = 0x03
    PAGE_TIMEOUT = 0x04
    AUTHENTICATION_FAILURE = 0x05
    PIN_OR_KEY_MISSING = 0x06, "PIN or Key Missing"
    MEMORY_CAPACITY_EXCEEDED = 0x07
    CONNECTION_TIMEOUT = 0x08
    CONNECTION_LIMIT_EXCEEDED = 0x09
    SYNCHRONOUS_CONNECTION_LIMIT_TO_A_DEVICE_EXCEEDED = 0x0A
    CONNECTION_ALREADY_EXISTS = 0x0B
    COMMAND_DISALLOWED = 0x0C
    CONNECTION_REJECTED_DUE_TO_LIMITED_RESOURCES = (
        0x0D,
        "Connection Rejected due to Limited Resources",
    )
    CONNECTION_REJECTED_DUE_TO_SECURITY_REASONS = 0x0E
    CONNECTION_REJECTED_DUE_TO_UNACCEPTABLE_BD_ADDR = (
        0x0F,
        "Connection Rejected due to Unacceptable BD_ADDR",
    )
    CONNECTION_ACCEPT_TIMEOUT_EXCEEDED = 0x10
    UNSUPPORTED_FEATURE_OR_PARAMETER_VALUE = 0x11, "Unsupported Feature or Parameter Value"
    INVALID_HCI_COMMAND_PARAMETERS = 0x12
    REMOTE_USER_TERMINATED_CONNECTION = 0x13
    REMOTE_DEVICE_TERMINATED_CONNECTION_DUE_TO_LOW_RESOURCES = (
        0x14,
        "Remote Device Terminated Connection due to Low Resources",
    )
    REMOTE_DEVICE_TERMINATED_CONNECTION_DUE_TO_POWER_OFF = (
        0x15,
        "Remote Device Terminated Connection due to Power Off",
    )
    CONNECTION_TERMINATED_BY_LOCAL_HOST = 0x16
    REPEATED_ATTEMPTS = 0x17
    PAIRING_NOT_ALLOWED = 0x18
    UNKNOWN_LMP_PDU = 0x19, "Unknown LMP PDU"
    UNSUPPORTED_REMOTE_FEATURE = 0x1A
    SCO_OFFSET_REJECTED = 0x1B
    SCO_INTERVAL_REJECTED = 0x1C
    SCO_AIR_MODE_REJECTED = 0x1D
    INVALID_LMP_OR_LL_PARAMETERS = 0x1E, "Invalid LMP Parameters / Invalid LL Parameters"
    UNSPECIFIED_ERROR = 0x1F
    UNSUPPORTED_LMP_OR_LL_PARAMETER_VALUE = (
        0x20,
        "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
    )
    ROLE_CHANGE_NOT_ALLOWED = 0x21
    LMP_OR_LL_RESPONSE_TIMEOUT = 0x22, "LMP Response Timeout / LL Response Timeout"
    LMP_ERROR_TRANSACTION_COLLISION_OR_LL_PROCEDURE_COLLISION = (
        0x23,
        "LMP Error Transaction Collision / LL Procedure Collision",
    )
    LMP_PDU_NOT_ALLOWED = 0x24, "LMP PDU Not Allowed"
    ENCRYPTION_MODE_NOT_ACCEPTABLE = 0x25
    LINK_KEY_CANNOT_BE_CHANGED = 0x26, "Link Key cannot be Changed"
    REQUESTED_QOS_NOT_SUPPORTED = 0x27, "Requested QoS Not Supported"
    INSTANT_PASSED = 0x28
    PAIRING_WITH_UNIT_KEY_NOT_SUPPORTED = 0x29
    DIFFERENT_TRANSACTION_COLLISION = 0x2A
    QOS_UNACCEPTABLE_PARAMETER = 0x2C, "QoS Unacceptable Parameter"
    QOS_REJECTED = 0x2D, "QoS Rejected"
    CHANNEL_CLASSIFICATION_NOT_SUPPORTED = 0x2E
    INSUFFICIENT_SECURITY = 0x2F
    PARAMETER_OUT_OF_MANDATORY_RANGE = 0x30
    ROLE_SWITCH_PENDING = 0x32
    RESERVED_SLOT_VIOLATION = 0x34
    ROLE_SWITCH_FAILED = 0x35
    EXTENDED_INQUIRY_RESPONSE_TOO_LARGE = 0x36
    SECURE_SIMPLE_PAIRING_NOT_SUPPORTED_BY_HOST = 0x37
    HOST_BUSY_PAIRING = 0x38, "Host Busy - Pairing"
    CONNECTION_REJECTED_DUE_TO_NO_SUITABLE_CHANNEL_FOUND = (
        0x39,
        "Connection Rejected due to No Suitable Channel Found",
    )
    CONTROLLER_BUSY = 0x3A
    UNACCEPTABLE_CONNECTION_PARAMETERS = 0x3B
    ADVERTISING_TIMEOUT = 0x3C
    CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE = 0x3D, "Connection Terminated due to MIC Failure"
    CONNECTION_FAILED_TO_BE_ESTABLISHED = 0x3E, "Connection Failed to be Established"
    COARSE_CLOCK_ADJUSTMENT_REJECTED_BUT_WILL_TRY_TO_ADJUST_USING_CLOCK_DRAGGING = (
        0x40,
        "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
    )
    TYPE0_SUBMAP_NOT_DEFINED = 0x41
    UNKNOWN_ADVERTISING_IDENTIFIER = 0x42
    LIMIT_REACHED = 0x43
    OPERATION_CANCELLED_BY_HOST = 0x44, "Operation Cancelled by Host"
    PACKET_TOO_LONG = 0x45
    TOO_LATE = 0x46
    TOO_EARLY = 0x47
    INSUFFICIENT_CHANNELS = 0x48


STATUS_NAMES: dict[int, str] = ErrorCode.labels()

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


# BR/EDR Secure Simple Pairing (Vol 4, Part E, 7.1.29 / 7.7.41): IO_Capability (0x04-0xFF
# reserved on BR/EDR: KeyboardDisplay is LE's), Authentication_Requirements (0x06-0xFF
# reserved), and Key_Type of Link Key Notification (7.7.24; 0x09-0xFF reserved).
BREDR_IO_CAPABILITIES: dict[int, str] = {
    0x00: "DisplayOnly",
    0x01: "DisplayYesNo",
    0x02: "KeyboardOnly",
    0x03: "NoInputNoOutput",
}
BREDR_AUTH_REQUIREMENTS: dict[int, str] = {
    0x00: "MITM not required, no bonding",
    0x01: "MITM required, no bonding",
    0x02: "MITM not required, dedicated bonding",
    0x03: "MITM required, dedicated bonding",
    0x04: "MITM not required, general bonding",
    0x05: "MITM required, general bonding",
}
LINK_KEY_TYPES: dict[int, str] = {
    0x00: "Combination Key",
    0x01: "Local Unit Key",
    0x02: "Remote Unit Key",
    0x03: "Debug Combination Key",
    0x04: "Unauthenticated Combination Key generated from P-192",
    0x05: "Authenticated Combination Key generated from P-192",
    0x06: "Changed Combination Key",
    0x07: "Unauthenticated Combination Key generated from P-256",
    0x08: "Authenticated Combination Key generated from P-256",
}
