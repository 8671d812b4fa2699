using System.Runtime.InteropServices;

namespace Rebound.Shield.Interop;

// The members of union bpf_attr the shield fills, one struct each, at the kernel's offsets (include/uapi/linux/bpf.h).
// Bytes past the fields a command knows must be zero; the structs are zero-initialised and no larger than the kernel's union.
#pragma warning disable CA1815 // interop structs are never compared

/// <summary>BPF_MAP_CREATE.</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal unsafe struct MapCreateAttributes
{
    [FieldOffset(0)] public BpfMapType MapType;
    [FieldOffset(4)] public uint KeySize;
    [FieldOffset(8)] public uint ValueSize;
    [FieldOffset(12)] public uint MaxEntries;
    [FieldOffset(16)] public uint MapFlags;
    [FieldOffset(28)] public fixed byte MapName[16];
}

/// <summary>BPF_MAP_LOOKUP_ELEM, _UPDATE_ELEM, _DELETE_ELEM, _GET_NEXT_KEY (value doubles as next_key).</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct MapElementAttributes
{
    [FieldOffset(0)] public int MapFd;
    [FieldOffset(8)] public ulong Key;
    [FieldOffset(16)] public ulong Value;
    [FieldOffset(24)] public ulong Flags;
}

/// <summary>BPF_PROG_LOAD.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct ProgramLoadAttributes
{
    [FieldOffset(0)] public BpfProgramType ProgramType;
    [FieldOffset(4)] public uint InstructionCount;
    [FieldOffset(8)] public ulong Instructions;
    [FieldOffset(16)] public ulong License;
    [FieldOffset(24)] public uint LogLevel;
    [FieldOffset(28)] public uint LogSize;
    [FieldOffset(32)] public ulong LogBuffer;
    [FieldOffset(48)] public fixed byte ProgramName[16];
    [FieldOffset(68)] public BpfAttachType ExpectedAttachType;
}

/// <summary>BPF_OBJ_PIN and BPF_OBJ_GET.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ObjectPinAttributes
{
    [FieldOffset(0)] public ulong PathName;
    [FieldOffset(8)] public int BpfFd;
    [FieldOffset(12)] public uint FileFlags;
}

/// <summary>BPF_PROG_ATTACH and BPF_PROG_DETACH.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ProgramAttachAttributes
{
    [FieldOffset(0)] public int TargetFd;
    [FieldOffset(4)] public int AttachBpfFd;
    [FieldOffset(8)] public BpfAttachType AttachType;
    [FieldOffset(12)] public uint AttachFlags;
}

/// <summary>BPF_LINK_CREATE (cgroup targets: no extra fields).</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct LinkCreateAttributes
{
    [FieldOffset(0)] public int ProgramFd;
    [FieldOffset(4)] public int TargetFd;
    [FieldOffset(8)] public BpfAttachType AttachType;
    [FieldOffset(12)] public uint Flags;
}

/// <summary>BPF_LINK_DETACH.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct LinkDetachAttributes
{
    [FieldOffset(0)] public int LinkFd;
}

/// <summary>BPF_PROG_TEST_RUN.</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal struct TestRunAttributes
{
    [FieldOffset(0)] public int ProgramFd;
    [FieldOffset(4)] public uint ReturnValue;
    [FieldOffset(8)] public uint DataSizeIn;
    [FieldOffset(12)] public uint DataSizeOut;
    [FieldOffset(16)] public ulong DataIn;
    [FieldOffset(24)] public ulong DataOut;
    [FieldOffset(32)] public uint Repeat;
    [FieldOffset(36)] public uint Duration;
}

/// <summary>BPF_OBJ_GET_INFO_BY_FD.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct ObjectInfoAttributes
{
    [FieldOffset(0)] public int BpfFd;
    [FieldOffset(4)] public uint InfoLength;
    [FieldOffset(8)] public ulong Info;
}

/// <summary>struct bpf_link_info, as far as a cgroup link fills it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct LinkInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint ProgramId;
    [FieldOffset(16)] public ulong CgroupId;
    [FieldOffset(24)] public BpfAttachType AttachType;
}

/// <summary>struct bpf_map_info, the fields status reads.</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal struct MapInfo
{
    [FieldOffset(0)] public BpfMapType Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint KeySize;
    [FieldOffset(12)] public uint ValueSize;
    [FieldOffset(16)] public uint MaxEntries;
    [FieldOffset(20)] public uint MapFlags;
}
#pragma warning restore CA1815
