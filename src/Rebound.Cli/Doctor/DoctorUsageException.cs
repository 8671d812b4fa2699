namespace Rebound.Cli.Doctor;

/// <summary>A request doctor refuses (an address that is not local, a namespace that does not exist): exit code 2.</summary>
internal sealed class DoctorUsageException : Exception
{
    public DoctorUsageException()
    {
    }

    public DoctorUsageException(string message)
        : base(message)
    {
    }

    public DoctorUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
