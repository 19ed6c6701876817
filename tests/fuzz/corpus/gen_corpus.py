#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Write the fuzz seed corpus: IUs as Linux ib_srp sends them (layouts from
doc/srp-protocol.md 2-8), each prefixed with the
harness's selector byte(s).  Re-run after changing a seed; the outputs are
committed so the fuzz script needs no Python."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

INI = bytes(8) + bytes.fromhex("0002c90300a1b2c3")
TGT = bytes.fromhex("0002c903000000010002c90300000001")


def write(d, name, data):
    os.makedirs(os.path.join(HERE, d), exist_ok=True)
    with open(os.path.join(HERE, d, name), "wb") as f:
        f.write(data)


def login_ib(it_len=8260, fmt=6, flags=0x80, imm=68, tag=0):
    return (bytes([0]) + bytes(7) + struct.pack(">Q", tag) +
            struct.pack(">I", it_len) + bytes(4) + struct.pack(">H", fmt) +
            bytes([flags, 0]) + struct.pack(">H", imm) + bytes(2) + INI + TGT)


def login_rdma(it_len=8260, fmt=6, flags=0x80, imm=68, tag=0):
    return (struct.pack(">Q", tag) + struct.pack(">H", fmt) +
            bytes([flags, 0]) + struct.pack(">I", it_len) + INI + TGT +
            struct.pack(">H", imm) + bytes(6))


def cmd(buf_fmt, tag, cdb, lun=1, do_cnt=0, di_cnt=0, add_cdb=b""):
    hdr = (bytes([2, 0, 0, 0, 0, buf_fmt, do_cnt, di_cnt]) +
           struct.pack(">Q", tag) + bytes(4) +
           struct.pack(">H", lun) + bytes(6) + bytes([0, 0, 0, len(add_cdb)]))
    return hdr + cdb.ljust(16, b"\0") + add_cdb


def desc(va, key, ln):
    return struct.pack(">QII", va, key, ln)


READ10 = bytes.fromhex("28000000100000000800")
WRITE10 = bytes.fromhex("2a000000200000001000")

# --- fuzz_srp_iu: selector byte then the IU ---
# bit 2 = immediate data negotiated at offset 68
write("srp_iu", "read10_direct",
      b"\x00" + cmd(0x01, 0x10005, READ10) + desc(0x7f1234560000, 0x1234abcd, 4096))
ind = b"".join(desc(0x100000 + i * 0x10000, 0x77, 4096) for i in range(4))
write("srp_iu", "write10_indirect",
      b"\x00" + cmd(0x20, 0x10006, WRITE10, do_cnt=4) +
      desc(0x7f0000001000, 0x55, 64) + struct.pack(">I", 16384) + ind)
write("srp_iu", "write10_indirect_ext",
      b"\x02" + cmd(0x20, 0x10007, WRITE10, do_cnt=2) +
      desc(0x7f0000001000, 0x55, 64) + struct.pack(">I", 16384) + ind[:32])
imm = cmd(0x30, 0x10008, bytes.fromhex("2a000000300000000100")) + struct.pack(">I", 512)
imm = imm.ljust(68, b"\0") + bytes(range(256)) * 2
write("srp_iu", "write10_immediate", b"\x04" + imm)
write("srp_iu", "bidi_direct_indirect",
      b"\x03" + cmd(0x12, 0x10009, bytes.fromhex("53"), di_cnt=1) +
      desc(0xa000, 1, 512) + desc(0xb000, 2, 16) + struct.pack(">I", 512) +
      desc(0xc000, 3, 512))
write("srp_iu", "add_cdb_32",
      b"\x00" + cmd(0x01, 0x1000a, bytes.fromhex("7f000000000000180000"),
                    add_cdb=bytes(16)) + desc(0x2000, 3, 512))
tm = (bytes([1, 0]) + bytes(6) + struct.pack(">Q", 0x80000001) + bytes(4) +
      struct.pack(">H", 1) + bytes(6) + bytes([0, 0, 0x01, 0]) +
      struct.pack(">Q", 0x10005) + bytes(8))
write("srp_iu", "tsk_mgmt_abort", b"\x00" + tm)
write("srp_iu", "tsk_mgmt_lun_reset",
      b"\x00" + tm[:30] + b"\x08\x00" + b"\xff" * 8 + bytes(8))
write("srp_iu", "i_logout", b"\x00" + bytes([3]) + bytes(7) + struct.pack(">Q", 5))
write("srp_iu", "cred_rsp", b"\x00" + bytes([0x41]) + bytes(7) + struct.pack(">Q", 6))
write("srp_iu", "aer_rsp", b"\x00" + bytes([0x42]) + bytes(7) + struct.pack(">Q", 7))

# --- fuzz_srp_login: selector (layout/state), limits, private data ---
# byte 1 = 0x81 -> max_req_size 64 + 129 * 64 = 8320 (>= 8260)
write("srp_login", "ib_linux_default", b"\x02\x81" + login_ib())
write("srp_login", "ib_cm_req_92", b"\x02\x81" + login_ib().ljust(92, b"\0"))
write("srp_login", "ib_multi", b"\x0e\x81" + login_ib(flags=0x81))
write("srp_login", "ib_no_imm", b"\x00\x81" + login_ib(it_len=276, flags=0, imm=0))
write("srp_login", "rdma_linux_default", b"\x03\x81" + login_rdma())
write("srp_login", "rdma_multi", b"\x0f\x81" + login_rdma(flags=0x81))
write("srp_login", "gid_string", b"fe80:0000:0000:0000:0002:c903:00a1:b2c3")
write("srp_login", "port_id_string", b"0x00000000000000000002c90300a1b2c3")

# --- fuzz_dm_mad: selector (port, slots), then the MAD as ibsrpdm sends it
# (layout: doc/discovery.md "MAD framing") ---


def dm_mad(method, attr, mod, tid=0x0000002a00000001):
    return (bytes([1, 6, 1, method]) + bytes(4) + struct.pack(">Q", tid) +
            struct.pack(">HHI", attr, 0, mod)).ljust(256, b"\0")


# 0x0c: port 1, three slots
write("dm_mad", "class_port_info", b"\x0c" + dm_mad(1, 0x0001, 0))
write("dm_mad", "iou_info", b"\x0c" + dm_mad(1, 0x0010, 0))
write("dm_mad", "ioc_profile_1", b"\x0c" + dm_mad(1, 0x0011, 1))
write("dm_mad", "svc_entries_1", b"\x0c" + dm_mad(1, 0x0012, 0x00010000))
write("dm_mad", "svc_entries_group", b"\x0c" + dm_mad(1, 0x0012, 0x00010300))
write("dm_mad", "set_iou_info", b"\x0c" + dm_mad(2, 0x0010, 0))
write("dm_mad", "iou_info_255", b"\x80" + dm_mad(1, 0x0010, 0))

# --- fuzz_scsi_cdb: records (selector, CDB length, data-out length, CDB,
# data-out); layout in tests/fuzz/fuzz_scsi_cdb.c.  One file per command
# family, each a short sequence an initiator would send. ---


def rec(cdb, out=b"", lun=0, nexus=0, exact=False):
    sel = lun | (nexus << 2) | (8 if exact else 0)
    return bytes([sel, len(cdb)]) + struct.pack(">H", len(out)) + cdb + out


def c6(op, b1=0, b2=0, b3=0, b4=0, b5=0):
    return bytes([op, b1, b2, b3, b4, b5])


def c10(op, lba=0, n=0, b1=0, b6=0):
    return bytes([op, b1]) + struct.pack(">I", lba) + bytes([b6]) + \
        struct.pack(">H", n) + b"\0"


def c16(op, lba=0, n=0, b1=0):
    return bytes([op, b1]) + struct.pack(">QI", lba, n) + b"\0\0"


TUR = c6(0)
write("scsi_cdb", "inquiry_vpd",
      rec(TUR) + rec(c6(0x12, 0, 0, 0, 96)) + rec(c6(0x12, 1, 0x00, 0, 255)) +
      rec(c6(0x12, 1, 0x80, 0, 255)) + rec(c6(0x12, 1, 0x83, 0, 255)) +
      rec(c6(0x12, 1, 0xb0, 0, 255)) + rec(c6(0x12, 1, 0xb2, 0, 255)))
write("scsi_cdb", "report_luns",
      rec(bytes([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]), lun=3) +
      rec(bytes([0xa0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0])) +
      rec(TUR, lun=2))
write("scsi_cdb", "read_write_10",
      rec(TUR) + rec(c10(0x2a, 8, 2), bytes(range(256)) * 4) +
      rec(c10(0x28, 8, 2)) + rec(c10(0x2a, 2047, 1, b1=0x08), b"\x5a" * 512))
write("scsi_cdb", "read_write_6_12_16",
      rec(TUR) + rec(c6(0x0a, 0, 0, 4, 1), b"\x11" * 512) +
      rec(c6(0x08, 0, 0, 4, 1)) +
      rec(bytes([0xaa, 0]) + struct.pack(">II", 16, 1) + b"\0\0", b"\x22" * 512) +
      rec(bytes([0xa8, 0]) + struct.pack(">II", 16, 1) + b"\0\0") +
      rec(c16(0x8a, 32, 1), b"\x33" * 512) + rec(c16(0x88, 32, 1)))
write("scsi_cdb", "read_only_lun",
      rec(TUR, lun=1) + rec(c10(0x2a, 0, 1), b"\x44" * 4096, lun=1) +
      rec(c10(0x28, 0, 1), lun=1) + rec(c16(0x9e, 0, 32, b1=0x10), lun=1))
write("scsi_cdb", "capacity_sync",
      rec(TUR) + rec(c10(0x25)) + rec(c16(0x9e, 0, 32, b1=0x10)) +
      rec(c10(0x35, 0, 0)) + rec(c16(0x91, 0, 0)))
unmap_list = struct.pack(">HH", 22, 16) + bytes(4) + struct.pack(">QI", 4, 8) + bytes(4)
write("scsi_cdb", "unmap_write_same",
      rec(TUR) + rec(bytes([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0]), unmap_list) +
      rec(c10(0x41, 100, 16), b"\x77" * 512) +
      rec(c10(0x41, 200, 16, b1=0x08), bytes(512)) +
      rec(c16(0x93, 300, 8), b"\x66" * 512))
write("scsi_cdb", "compare_and_write",
      rec(TUR) + rec(c10(0x2a, 40, 1), b"\x10" * 512) +
      rec(bytes([0x89, 0]) + struct.pack(">Q", 40) + bytes(3) + bytes([1, 0, 0]),
          b"\x10" * 512 + b"\x20" * 512) +
      rec(bytes([0x89, 0]) + struct.pack(">Q", 40) + bytes(3) + bytes([1, 0, 0]),
          b"\x99" * 512 + b"\x20" * 512))
write("scsi_cdb", "verify_get_lba_status",
      rec(TUR) + rec(c10(0x2f, 0, 8)) + rec(c10(0x2f, 0, 1, b1=0x02), b"\0" * 512) +
      rec(c16(0x9e, 0, 24, b1=0x12)))
write("scsi_cdb", "mode_sense_select",
      rec(TUR) + rec(c6(0x1a, 0, 0x3f, 0, 255)) +
      rec(c10(0x5a, 0, 0, b1=0, b6=0) [:2] + bytes([0x3f]) + bytes(4) + b"\x01\x00\x00") +
      rec(c6(0x15, 0x10, 0, 0, 24),
          bytes([0, 0, 0, 8]) + bytes(8) + bytes([0x08, 0x12, 0x04]) + bytes(17)) +
      rec(c6(0x15, 0x10, 0, 0, 16),
          bytes([0, 0, 0, 0]) + bytes([0x0a, 0x0a, 0x06]) + bytes(9)))
reg_key = struct.pack(">QQ", 0, 0xabc) + bytes(8)
write("scsi_cdb", "persistent_reserve",
      rec(TUR) + rec(TUR, nexus=1) +
      rec(bytes([0x5f, 0x00, 0, 0, 0, 0, 0, 0, 24, 0]), reg_key) +
      rec(bytes([0x5f, 0x01, 0x05, 0, 0, 0, 0, 0, 24, 0]),
          struct.pack(">QQ", 0xabc, 0) + bytes(8)) +
      rec(bytes([0x5e, 0x00, 0, 0, 0, 0, 0, 0x10, 0, 0])) +
      rec(bytes([0x5e, 0x01, 0, 0, 0, 0, 0, 0x10, 0, 0])) +
      rec(c10(0x2a, 0, 1), b"\x01" * 512, nexus=1) +
      rec(bytes([0x5f, 0x04, 0x05, 0, 0, 0, 0, 0, 24, 0]),
          struct.pack(">QQ", 0xdef, 0xabc) + bytes(8), nexus=1) +
      rec(bytes([0x5e, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0])) +
      rec(bytes([0x5e, 0x03, 0, 0, 0, 0, 0, 0x10, 0, 0])))
write("scsi_cdb", "reserve_release_6",
      rec(TUR) + rec(c6(0x16)) + rec(c10(0x28, 0, 1), nexus=1) + rec(c6(0x17)))
write("scsi_cdb", "maintenance_in",
      rec(TUR) + rec(bytes([0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0])) +
      rec(bytes([0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0])) +
      rec(bytes([0xa3, 0x0c, 0x01, 0x2a, 0, 0, 0, 0, 1, 0, 0, 0])) +
      rec(bytes([0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])))
write("scsi_cdb", "request_sense_start_stop",
      rec(c6(0x03, 0, 0, 0, 252)) + rec(c6(0x1b, 0, 0, 0, 1)) +
      rec(c6(0x1e, 0, 0, 0, 1)) + rec(c6(0x1e, 0, 0, 0, 0)) +
      rec(bytes([0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0, 0x0b]) + bytes(22)))
write("scsi_cdb", "short_data_out",
      rec(TUR) + rec(c10(0x2a, 0, 8), b"\x12" * 700, exact=True) +
      rec(bytes([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0]), unmap_list[:10], exact=True))


# EXTENDED COPY (LID1) parameter lists naming the harness's LUs by NAA.
def cscd(lu, bs):
    naa = bytes.fromhex("6001405" + "0" * 24 + str(lu))
    return (bytes([0xe4, 0, 0, 0, 0x01, 0x03, 0, 16]) + naa + bytes(5) +
            struct.pack(">I", bs)[1:])


def seg(si, di, n, src, dst, b1=0):
    return (bytes([0x02, b1]) + struct.pack(">HHH", 24, si, di) + bytes(2) +
            struct.pack(">HQQ", n, src, dst))


def xlist(cscds, segs, list_id=1, usage=0):
    c, s = b"".join(cscds), b"".join(segs)
    return (bytes([list_id, usage << 3]) + struct.pack(">H", len(c)) +
            bytes(4) + struct.pack(">II", len(s), 0) + c + s)


def xcopy(plist):
    return bytes([0x83, 0]) + bytes(8) + struct.pack(">I", len(plist)) + b"\0\0"


def rcr(sa, list_id=0, n=64):
    return bytes([0x84, sa, list_id]) + bytes(7) + struct.pack(">I", n) + b"\0\0"


copy_in = xlist([cscd(0, 512)], [seg(0, 0, 8, 0, 100), seg(0, 0, 16, 96, 100)])
write("scsi_cdb", "extended_copy",
      rec(TUR) + rec(c10(0x2a, 0, 8), bytes(range(256)) * 16) +
      rec(rcr(0x03)) + rec(xcopy(copy_in), copy_in) + rec(rcr(0x00, 1)) +
      rec(c10(0x28, 100, 8)))
two = xlist([cscd(0, 512), cscd(1, 4096)],
            [seg(1, 0, 1, 0, 8, b1=0x02), seg(1, 0, 8, 0, 16)], list_id=2)
write("scsi_cdb", "extended_copy_two_lus",
      rec(TUR) + rec(TUR, lun=1) + rec(xcopy(two), two, lun=1) +
      rec(rcr(0x00, 2), lun=1))
bad = xlist([cscd(0, 512)] * 5, [seg(0, 4, 2048, 0, 511)], list_id=3)
ro = xlist([cscd(0, 512), cscd(1, 4096)], [seg(0, 1, 8, 0, 1)], list_id=4)
write("scsi_cdb", "extended_copy_errors",
      rec(TUR) + rec(xcopy(bad), bad) + rec(xcopy(bad), bad[:40], exact=True) +
      rec(xcopy(ro), ro) +
      rec(xcopy(b"")) + rec(bytes([0x83, 1]) + bytes(14)))

# --- fuzz_ctl_rpc: one request line each (doc/control.md) ---
write("ctl_rpc", "echo_all_types",
      b'{"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":"x","i":-5,'
      b'"b":true,"o":{"k":[1,2]},"a":["q",null]}}')
write("ctl_rpc", "fail_message",
      b'{"jsonrpc":"2.0","id":"a","method":"fail","params":{"s":"dev"}}')
write("ctl_rpc", "fail_params",
      b'{"jsonrpc":"2.0","id":2,"method":"fail","params":{"s":"v","b":true}}')
write("ctl_rpc", "notification", b'{"jsonrpc":"2.0","method":"none"}')
write("ctl_rpc", "unknown_method", b'{"jsonrpc":"2.0","id":3.5,"method":"nope"}')
write("ctl_rpc", "batch", b'[{"jsonrpc":"2.0","id":1,"method":"none"}]')
write("ctl_rpc", "bad_version", b'{"jsonrpc":"1.0","id":null,"method":"none"}')
write("ctl_rpc", "trailing", b'{"jsonrpc":"2.0","id":4,"method":"none"} \t x')
write("ctl_rpc", "bare_number", b'12345')
