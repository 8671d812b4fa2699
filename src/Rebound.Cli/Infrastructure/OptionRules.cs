using System.CommandLine;
using System.Numerics;

namespace Rebound.Cli.Infrastructure;

/// <summary>Value rules shared by the commands' options; a broken rule is a usage error (exit 2) naming the option.</summary>
internal static class OptionRules
{
    /// <summary>Refuses a negative value (a count, a wait, an interval), which would otherwise be taken silently.</summary>
    public static Option<T> NotNegative<T>(this Option<T> option)
        where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            T value = result.GetValueOrDefault<T>();
            if (T.IsNegative(value))
            {
                result.AddError($"{option.Name} cannot be negative (got {value}).");
            }
        });
        return option;
    }

    /// <summary>
    /// A period in seconds: 0 (off) or at least 1 ms, which is as fine as a timer ticks; a smaller value would be
    /// taken as a busy loop or rejected late by the timer.
    /// </summary>
    public static Option<double> OffOrPeriod(this Option<double> option)
    {
        option.Validators.Add(result =>
        {
            double value = result.GetValueOrDefault<double>();
            if (value is > 0 and < 0.001 || double.IsNaN(value) || double.IsInfinity(value))
            {
                result.AddError($"{option.Name} must be 0 (off) or at least 0.001 seconds (got {value}).");
            }
        });
        return option;
    }
}
