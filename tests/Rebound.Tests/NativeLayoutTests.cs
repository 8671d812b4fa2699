using Rebound.Interop;

namespace Rebound.Tests;

/// <summary>The interop structures must match the LP64 Linux layouts the kernel reads and writes.</summary>
public sealed unsafe class NativeLayoutTests
{
    [Fact]
    public void Structures_have_the_kernel_sizes()
    {
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(56, sizeof(MessageHeader));
        Assert.Equal(64, sizeof(MultiMessageHeader));
    }

    [Fact]
    public void Message_header_fields_sit_at_the_kernel_offsets()
    {
        MessageHeader header = default;
        byte* start = (byte*)&header;
        Assert.Equal(0, (byte*)&header.Name - start);
        Assert.Equal(8, (byte*)&header.NameLength - start);
        Assert.Equal(16, (byte*)&header.IoVectors - start);
        Assert.Equal(24, (byte*)&header.IoVectorCount - start);
        Assert.Equal(32, (byte*)&header.Control - start);
        Assert.Equal(40, (byte*)&header.ControlLength - start);
        Assert.Equal(48, (byte*)&header.Flags - start);
    }

    [Fact]
    public void Multi_message_header_puts_msg_len_after_the_header()
    {
        MultiMessageHeader message = default;
        byte* start = (byte*)&message;
        Assert.Equal(0, (byte*)&message.Header - start);
        Assert.Equal(56, (byte*)&message.Length - start);
        IoVec vector = default;
        Assert.Equal(8, (byte*)&vector.Length - (byte*)&vector);
    }
}
