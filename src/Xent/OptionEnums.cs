namespace Xent;

// The enums that choose options (ClassifierOptions, TrainerOptions, CsvOptions, CrossEntropyOptions) all live in the
// namespace Xent, with Classifier and the option records, so a program needs `using Xent;` and `using Xent.Data;` and no more.

/// <summary>The element-wise nonlinearity a <see cref="Layers.Dense"/> layer applies after its affine map.</summary>
public enum Activation
{
    /// <summary>f(z) = z: no nonlinearity (the output layer's logits).</summary>
    Identity,
    /// <summary>f(z) = max(z, 0); f′(z) = 1 for z &gt; 0, else 0.</summary>
    Relu,
    /// <summary>f(z) = z for z &gt; 0, else 0.01·z.</summary>
    LeakyRelu,
    /// <summary>f(z) = log(1 + eᶻ), a smooth ReLU; f′(z) = σ(z).</summary>
    Softplus,
    /// <summary>f(z) = σ(z) = 1 / (1 + e⁻ᶻ); f′ = f·(1 − f).</summary>
    Sigmoid,
    /// <summary>f(z) = tanh(z); f′ = 1 − f².</summary>
    Tanh,
}

/// <summary>How the learning rate changes from epoch to epoch.</summary>
public enum ScheduleKind
{
    /// <summary>η stays at its initial value.</summary>
    Constant,
    /// <summary>η·γ^⌊epoch / step⌋: multiplied by γ every <c>step</c> epochs.</summary>
    Step,
    /// <summary>Cosine annealing from η to η_min over the maximum number of epochs: η_min + (η − η_min)(1 + cos(π·epoch/T))/2.</summary>
    Cosine,
    /// <summary>Multiplied by the factor when the monitored validation value has not improved for the plateau patience.</summary>
    ReduceOnPlateau,
}

/// <summary>How per-row losses are combined into one number (PyTorch's <c>reduction</c>).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per row. Where a single number is needed, the sum is used.</summary>
    None,
    /// <summary>The sum of the row losses (weighted where the loss has weights).</summary>
    Sum,
    /// <summary>The weighted mean: the sum divided by Σ w[y] over the rows not ignored (the row count without weights), as PyTorch does.</summary>
    Mean,
}

/// <summary>How a feature column is read and encoded.</summary>
public enum ColumnKind
{
    /// <summary>Numbers: imputed with the training mean when missing, then standardised.</summary>
    Numeric,
    /// <summary>Text categories, matched exactly after trimming surrounding whitespace: one-hot encoded.</summary>
    Categorical,
}

/// <summary>What a missing cell (empty, <c>NA</c>, <c>N/A</c>, <c>NaN</c> or <c>nan</c>) in a feature column means.</summary>
public enum MissingValues
{
    /// <summary>Numeric columns get the training mean (and a 0/1 "was missing" feature); categorical columns a "missing" category.</summary>
    Impute,
    /// <summary>Every missing cell is an error naming the file, line and column (Xent's behaviour before tables).</summary>
    Error,
}
