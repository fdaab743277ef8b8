using System.CommandLine;

namespace Xent.Cli;

/// <summary>
/// Every word an option takes for a choice, mapped to the library's enum in one place. The options accept only these
/// words (System.CommandLine's AcceptOnlyFromAmong, so --help lists them and a wrong word is refused before any work).
/// </summary>
internal static class Choices
{
    public static readonly IReadOnlyDictionary<string, OptimizerKind> Optimizers = new Dictionary<string, OptimizerKind>
    {
        ["sgd"] = OptimizerKind.Sgd,
        ["adam"] = OptimizerKind.Adam,
        ["adamw"] = OptimizerKind.AdamW,
    };

    public static readonly IReadOnlyDictionary<string, ScheduleKind> Schedules = new Dictionary<string, ScheduleKind>
    {
        ["constant"] = ScheduleKind.Constant,
        ["step"] = ScheduleKind.Step,
        ["cosine"] = ScheduleKind.Cosine,
        ["plateau"] = ScheduleKind.ReduceOnPlateau,
    };

    public static readonly IReadOnlyDictionary<string, MonitorKind> Monitors = new Dictionary<string, MonitorKind>
    {
        ["loss"] = MonitorKind.ValidationLoss,
        ["accuracy"] = MonitorKind.ValidationAccuracy,
    };

    public static readonly IReadOnlyDictionary<string, Activation> Activations = new Dictionary<string, Activation>
    {
        ["relu"] = Activation.Relu,
        ["leaky-relu"] = Activation.LeakyRelu,
        ["softplus"] = Activation.Softplus,
        ["sigmoid"] = Activation.Sigmoid,
        ["tanh"] = Activation.Tanh,
        ["identity"] = Activation.Identity,
    };

    public static readonly IReadOnlyDictionary<string, Reduction> Reductions = new Dictionary<string, Reduction>
    {
        ["mean"] = Reduction.Mean,
        ["sum"] = Reduction.Sum,
        ["none"] = Reduction.None,
    };

    /// <summary>Makes <paramref name="option"/> accept only the words of <paramref name="map"/>.</summary>
    public static Option<string> AcceptOnly<T>(this Option<string> option, IReadOnlyDictionary<string, T> map)
    {
        option.AcceptOnlyFromAmong([.. map.Keys]);
        return option;
    }

    /// <summary>The enum value of an option's word (already validated by <see cref="AcceptOnly"/>).</summary>
    public static T Value<T>(this ParseResult parse, Option<string> option, IReadOnlyDictionary<string, T> map) => map[parse.GetValue(option)!];
}
