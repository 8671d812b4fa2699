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
}
