"""What each mutant's feedback must say: the mistake its failing test cell names.

``MISTAKE_WORDS[(function, mutant label)]`` is the fingerprint (the words after "Likely mistake:"
and before the first ": ") that the message of the mutant's own test cell must contain, as the
autograded notebook holds it. tests/test_mutants.py checks every WRONG entry of every suite
against this table through the real grading pipeline, and the demo test checks that
``course report`` counts the planted mistakes under these words.

``ASSIGNMENTS`` are the suites the table covers completely; a new assignment joins it once its
hidden tests name the mistakes of its mutant suite.
"""

ASSIGNMENTS = ("01_derivatives", "02_gradient_descent", "03_sgd", "04_backprop", "05_optimizers")

MISTAKE_WORDS = {
    # ---- 01_derivatives
    ('numerical_derivative', 'forward difference'):
        'forward difference (f(x+h) - f(x)) / h',
    ('numerical_derivative', 'divides by h instead of 2h'):
        'divided by h instead of 2h',
    ('numerical_derivative', 'ignores the h argument'):
        'the h argument is ignored',
    ('numerical_derivative', 'sign flipped'):
        'sign flipped (f(x-h) - f(x+h))',
    ('composite_derivative', 'outer derivative at x instead of at g(x)'):
        'the outer derivative taken at x',
    ('composite_derivative', 'adds instead of multiplying'):
        'the derivatives added',
    ('composite_derivative', 'returns a number, not a function'):
        'a number returned instead of a function',
    ('composite_derivative', 'inner derivative at g(x)'):
        'the inner derivative taken at g(x)',
    ('numerical_gradient', 'forward differences'):
        'forward differences (f(x+h) - f(x)) / h',
    ('numerical_gradient', 'works on x itself and never restores it'):
        'an input changed in place',
    ('numerical_gradient', 'calls course.gradcheck instead of own code'):
        'course code called instead of your own',
    ('numerical_gradient', 'copies an integer array without converting to float'):
        'an integer copy of x (x + h rounded back to an integer)',
    ('numerical_gradient', 'returns a flat gradient'):
        'a flat gradient',
    ('numerical_gradient', 'ignores the h argument'):
        'the h argument is ignored',
    ('ssr', 'mean instead of sum'):
        'the mean instead of the sum',
    ('ssr', 'square of the sum'):
        'the square of the sum',
    ('ssr', 'absolute residuals'):
        'absolute residuals',
    ('ssr_slope', 'missing factor 2'):
        'the factor 2 from the square is missing',
    ('ssr_slope', 'sign flipped'):
        'sign flipped (y - a*x)',
    ('ssr_slope', 'forgets the inner derivative x'):
        'the inner derivative x is missing',
    ('ssr_slope', 'hard-coded lecture formula'):
        "the lecture's 28a - 46.32 hard-coded",
    ('best_slope', 'least squares with an intercept'):
        'a least-squares line with an intercept',
    ('best_slope', 'ratio of means'):
        'the ratio of the means',
    ('best_slope', 'hard-coded lecture answer'):
        "the lecture's rounded 1.654 hard-coded",
    ('sigmoid', 'naive formula overflows for z = -1000'):
        '1/(1 + exp(-z)) overflows for z = -1000',
    ('sigmoid', 'exp(z) / (1 + exp(z)) gives nan for z = 1000'):
        'exp(z)/(1 + exp(z)) is inf/inf = nan for z = 1000',
    ('sigmoid', 'np.where still evaluates the overflowing branch'):
        'np.where computes both branches for every z, so exp overflows anyway',
    ('sigmoid', 'sign flipped'):
        'sign flipped (exp(z) where exp(-z) belongs)',
    ('softplus', 'naive log(1 + exp(z)) overflows'):
        'log(1 + exp(z)) overflows for z = 1000',
    ('softplus', 'stable form without the absolute value'):
        'the absolute value is missing',
    ('softplus', 'log1p(exp(z)) still overflows'):
        'log(1 + exp(z)) overflows for z = 1000',
    ('sigmoid_prime', 's * (1 + s)'):
        's*(1 + s)',
    ('sigmoid_prime', "tanh's derivative 1 - s**2"):
        '1 - s**2 is the derivative of tanh',
    ('sigmoid_prime', 'exp(-z) / (1 + exp(-z))**2 overflows'):
        'exp(-z)/(1 + exp(-z))**2 overflows for z = -1000',
    ('tanh_prime', 'forgets the square'):
        '1 - tanh(z) without the square',
    ('tanh_prime', '1 / cosh(z)**2 overflows for |z| = 1000'):
        '1/cosh(z)**2 overflows for |z| = 1000',
    ('tanh_prime', 'plus instead of minus'):
        '1 + tanh(z)**2, a plus for the minus',
    ('softplus_prime', 'exp(z) / (1 + exp(z)) gives nan for z = 1000'):
        'exp(z)/(1 + exp(z)) is inf/inf = nan for z = 1000',
    ('softplus_prime', 'sigmoid of -z'):
        'sigmoid(-z)',
    ('softplus_prime', 'returns softplus itself'):
        'softplus itself, not its derivative',
    ('elu_prime', 'ignores alpha'):
        'alpha is ignored',
    ('elu_prime', 'np.where overflows on exp(1000)'):
        'np.where computes alpha*exp(z) for every z, so exp(1000) overflows',
    ('elu_prime', 'the ELU itself, not its derivative'):
        'the ELU itself, not its derivative',
    ('elu_prime', '1 at z = 0 (the z > 0 branch)'):
        '1 at z = 0 (the z > 0 branch)',
    ('relu_prime', '1 at z = 0'):
        '1 at z = 0',
    ('relu_prime', 'returns ReLU itself'):
        'ReLU itself, not its derivative',
    ('relu_prime', 'overwrites z in place'):
        'an input changed in place',
    ('relu_prime', 'sign of z (-1 for negatives)'):
        'the sign of z (-1 for negative z)',
    ('leaky_relu_prime', 'ignores alpha'):
        'alpha is ignored (0.01 always)',
    ('leaky_relu_prime', '1 at z = 0'):
        '1 at z = 0',
    ('leaky_relu_prime', '0 for negative z, like ReLU'):
        '0 for negative z, like ReLU',
    ('mse_prime', 'missing factor 2'):
        'the factor 2 from the square is missing',
    ('mse_prime', 'sum instead of mean'):
        "the sum's gradient, not the mean's",
    ('mse_prime', 'divides by len (rows) instead of all entries'):
        'divided by the number of rows (len) instead of all 6 entries',
    ('mse_prime', 'subtracts y from y_pred in place'):
        'an input changed in place',
    ('mse_prime', 'sign flipped'):
        'sign flipped (y - y_pred)',
    ('bce_prime', 'without the mean'):
        'the mean is missing',
    ('bce_prime', 'the sigmoid shortcut (p - y) / N'):
        '(p - y)/N is the gradient with respect to the logit, not p',
    ('bce_prime', 'forgets the (1 - y) term'):
        'the (1 - y)*log(1 - p) term is missing',
    ('bce_prime', 'sign flipped'):
        'sign flipped',
    ('huber_prime', 'ignores delta'):
        'delta is ignored (clipped at 1)',
    ('huber_prime', 'without the mean'):
        'the mean is missing',
    ('huber_prime', 'sign(r) beyond delta, without the factor delta'):
        'sign(r) beyond delta without the factor delta',
    ('huber_prime', 'r <= delta without abs: large negative residuals unclipped'):
        'large negative residuals are not clipped (r <= delta without abs)',
    ('huber_prime', '2r in the quadratic part'):
        '2r in the quadratic part',
    # ---- 02_gradient_descent
    ('gradient_descent', 'plus instead of minus (gradient ascent)'):
        'gradient ascent (x + lr*grad)',
    ('gradient_descent', 'row 0 is the first step, not x0'):
        'row 0 is the first step, not x0',
    ('gradient_descent', 'off by one: n_steps - 1 steps, last row left at zero'):
        'off by one',
    ('gradient_descent', 'updates x0 in place'):
        'an input changed in place',
    ('gradient_descent', 'every row is the same array, updated in place'):
        'every row is the same array, changed in place by x -= ',
    ('gradient_descent', 'keeps the integer dtype of x0'):
        'an integer array for an integer x0, so each step is rounded',
    ('gradient_descent', 'returns a list, not an array'):
        'a list returned instead of an array',
    ('gd_until_converged', '<= instead of < in the stop rule'):
        '<= tol in the stop rule',
    ('gd_until_converged', 'counts from 0: one step too few'):
        'steps counted from 0',
    ('gd_until_converged', 'returns the point before the last step'):
        'the point before the last step returned',
    ('gd_until_converged', 'length of the change vector instead of its largest entry'):
        'the length of the change vector instead of its largest entry',
    ('gd_until_converged', 'mean absolute change instead of the largest'):
        'the mean absolute change instead of the largest',
    ('gd_until_converged', 'stops on a small gradient instead of a small change'):
        'stops on a small gradient',
    ('gd_until_converged', 'ignores max_steps'):
        'max_steps is ignored',
    ('gd_until_converged', 'updates x0 in place'):
        'an input changed in place',
    ('convergence_regime', 'exact == at the boundaries instead of math.isclose'):
        'exact == at the boundaries',
    ('convergence_regime', 'r <= 1 counted as monotone'):
        'r = 1 counted as monotone',
    ('convergence_regime', 'lr / curvature instead of lr * curvature'):
        'r = lr / curvature',
    ('convergence_regime', 'forgets the cycling case'):
        'the cycling case r = 2 is missing',
    ('convergence_regime', 'boundaries with a tolerance far too loose'):
        'a tolerance far too loose at the boundaries',
    ('neuron_loss', 'mean instead of sum'):
        'the mean instead of the sum',
    ('neuron_loss', 'missing the factor 1/2'):
        'the factor 1/2 is missing',
    ('neuron_loss', 'sigmoid with exp(+z)'):
        'sigmoid with exp(+z)',
    ('neuron_loss', "uses the lecture's data instead of X and Y"):
        "the lecture's data used instead of X and Y",
    ('neuron_grad', 'missing the sigmoid derivative f(1 - f)'):
        "the sigmoid's derivative f*(1 - f) is missing",
    ('neuron_grad', 'dw without the factor x'):
        'dw without the factor x',
    ('neuron_grad', 'returns (db, dw)'):
        '(db, dw) returned',
    ('neuron_grad', 'sign flipped (y - f)'):
        'sign flipped (y - f)',
    ('neuron_grad', 'mean over samples where the loss is a sum'):
        'the mean over the samples',
    ('neuron_grad', "uses the lecture's data instead of X and Y"):
        "the lecture's data used instead of X and Y",
    ('fit_neuron', 'sequential update: b from the gradient at the new w'):
        'b updated from the gradient at the new w',
    ('fit_neuron', 'records the loss after the update'):
        'the loss recorded after the update',
    ('fit_neuron', 'epochs + 1 losses (also the final one)'):
        'epochs + 1 losses (the final one too)',
    ('fit_neuron', 'ignores the learning rate'):
        'the learning rate is ignored',
    ('fit_neuron', "always starts at the lecture's (-2, -2)"):
        "the lecture's start (-2, -2) always",
    ('fit_neuron', 'returns the losses as a list'):
        'a list of losses returned instead of an array',
    # ---- 03_sgd
    ('updates_per_epoch', 'n // batch_size: forgets the last, smaller batch'):
        'n // batch_size drops the last, smaller batch',
    ('updates_per_epoch', 'n // batch_size + 1: an extra batch when batch_size divides n'):
        'an extra batch when batch_size divides n',
    ('updates_per_epoch', 'np.ceil: a float, not an int'):
        'a float instead of an int',
    ('sample_gradients', 'counts steps (epochs), not per-sample gradients'):
        'the epochs counted, not the per-sample gradients',
    ('sample_gradients', 'one epoch too many'):
        'one epoch too many',
    ('sample_gradients', 'a float count'):
        'a float instead of an int',
    ('mse_loss_and_grad', "the lecture's 1/2-loss gradient: dw and db without the 2"):
        "dw and db without the factor 2 (the lecture's 1/2 loss)",
    ('mse_loss_and_grad', 'sums instead of means'):
        'sums instead of means',
    ('mse_loss_and_grad', 'residual y - y_hat in the gradient (sign flipped)'):
        'sign flipped (y - y_hat)',
    ('mse_loss_and_grad', 'dw averaged over every entry: one number instead of shape (D,)'):
        'dw averaged over every entry of X * r',
    ('mse_loss_and_grad', 'integer inputs: floor division by N'):
        'integer division (//) by N',
    ('minibatch_indices', 'np.array_split: batches of nearly equal size'):
        'batches of nearly equal size (np.array_split)',
    ('minibatch_indices', 'drops the remainder'):
        'the last, smaller batch dropped',
    ('minibatch_indices', 'n // batch_size + 1 batches: an empty one when batch_size divides n'):
        'an empty last batch when batch_size divides n',
    ('minibatch_indices', 'a generator of its own, not the rng passed in'):
        'a shuffle not drawn from the rng passed in',
    ('minibatch_indices', 'draws with replacement (rng.choice)'):
        'rows drawn with replacement (some twice, some never)',
    ('sgd_epoch', 'one update for the whole data set'):
        'one update for the whole data set',
    ('sgd_epoch', 'X and y not indexed by the same batch'):
        'X and y indexed by different rows',
    ('sgd_epoch', "every batch's gradient at the starting parameters"):
        "every batch's gradient taken at the starting (w, b)",
    ('sgd_epoch', "updates the caller's w in place"):
        'an input changed in place',
    ('sgd_epoch', "batches in the data's order (no shuffle)"):
        'the rows not shuffled',
    ('train_linear', 'a new rng in every epoch (every epoch shuffles the same way)'):
        'every epoch shuffles the same way',
    ('train_linear', 'records the loss before each epoch'):
        'the loss recorded before each epoch',
    ('train_linear', 'ignores seed'):
        'seed ignored',
    ('train_linear', 'history as a list, with the start loss too'):
        'the start loss recorded too (epochs + 1 losses)',
    ('decayed_lr', 'step: epoch / k instead of epoch // k'):
        'epoch / k halvings',
    ('decayed_lr', 'exponential grows: exp(k * epoch)'):
        'a growing exponential, exp(k * epoch)',
    ('decayed_lr', 'an unknown schedule keeps lr0 instead of raising'):
        'an unknown schedule name accepted',
    ('decayed_lr', 'epochs counted from 1'):
        'epochs counted from 1',
    # ---- 04_backprop
    ('affine_forward', 'W.T @ x.T: the product transposed'):
        'out transposed (W.T @ x.T)',
    ('affine_forward', 'forgets the bias'):
        'the bias b missing',
    ('affine_forward', 'keeps the integer dtype'):
        'an integer array for integer inputs',
    ('affine_backward', 'dW transposed'):
        'dW transposed',
    ('affine_backward', 'db averaged over the batch'):
        'db averaged over the batch',
    ('affine_backward', 'db not summed (one row per sample)'):
        'db not summed over the batch',
    ('affine_backward', 'reads x from a global instead of the cache'):
        'the cache ignored (x or W kept in a global variable?)',
    ('sigmoid_forward', 'exp(x) instead of exp(-x)'):
        'exp(x) instead of exp(-x)',
    ('sigmoid_forward', 'tanh instead of the sigmoid'):
        'tanh instead of the sigmoid',
    ('sigmoid_backward', 'derivative without the upstream gradient'):
        'the upstream gradient dout left out',
    ('sigmoid_backward', 'sigma applied twice: treats the cached output as the input'):
        'the sigmoid applied twice (the cache already holds sigmoid(x))',
    ('relu_forward', 'np.max instead of np.maximum'):
        'np.max instead of np.maximum',
    ('relu_forward', 'absolute value'):
        'the absolute value instead of max(x, 0)',
    ('relu_backward', 'gradient 1 at x = 0 (x >= 0)'):
        'gradient 1 at x = 0 (x >= 0)',
    ('relu_backward', 'returns the mask, ignores dout'):
        'the mask returned without dout',
    ('softmax', 'normalises columns (axis 0)'):
        'columns normalised (axis 0)',
    ('softmax', 'no shift: overflows at 1000'):
        "no shift by the row's maximum",
    ('softmax', 'one global maximum for all rows'):
        'one maximum for the whole array',
    ('softmax_cross_entropy', 'gradient not divided by N'):
        'dlogits not divided by N',
    ('softmax_cross_entropy', 'Y - P instead of P - Y'):
        'sign flipped (Y - P)',
    ('softmax_cross_entropy', 'log of the softmax: -inf at 1000'):
        'the log of the softmax',
    ('softmax_cross_entropy', 'sum over samples instead of the mean'):
        'the sum over the samples instead of the mean',
    ('mse', 'gradient missing the factor 2'):
        'the factor 2 from the square missing',
    ('mse', 'divides by the number of rows, not of elements'):
        'divided by the number of rows, not of elements',
    ('mse', 'target - pred in the gradient'):
        'sign flipped (target - pred)',
    ('sigmoid_net_step', 'hidden errors from the already updated W2'):
        'the hidden errors from the already updated W2',
    ('sigmoid_net_step', "gradient ascent: the lecture's Err with the sign of the update flipped"):
        "gradient ascent (the lecture's Err = t - o with a minus in the update)",
    ('sigmoid_net_step', "output error without the sigmoid's derivative"):
        "the output error without the sigmoid's derivative",
    ('sigmoid_net_step', 'updates the parameters in place'):
        'an input changed in place',
    ('two_layer_loss', 'regularisation missing from the gradients'):
        'the regularisation missing from the gradients',
    ('two_layer_loss', 'regularisation without the 0.5'):
        'the regularisation without the 0.5',
    ('two_layer_loss', 'ReLU backward skipped'):
        "the ReLU's backward step skipped",
    ('two_layer_loss', 'regularises the biases too'):
        'the biases regularised too',
    # ---- 05_optimizers
    ('ewma', 'weights swapped: (1 - beta) on the old average'):
        'the weights are swapped',
    ('ewma', 'starts from v_1 = x_1 instead of v_0 = 0'):
        'the average starts from v_1 = x_1',
    ('ewma', 'bias correction with t counted from 0'):
        'the correction uses 1 - beta**(t - 1) (t counted from 0)',
    ('ewma', 'the corrected value is fed back into the recursion'):
        'the corrected value is fed back into the recursion',
    ('ewma', 'overwrites the values in place'):
        'an input changed in place',
    ('sgd', 'plus instead of minus (gradient ascent)'):
        'gradient ascent (w + lr*dw)',
    ('sgd', 'ignores the lr argument'):
        'the lr argument is ignored (1e-2 always)',
    ('sgd', 'updates w in place'):
        'an input changed in place',
    ('optimize', 'a fresh state (None) at every step'):
        'a fresh state (None) at every step',
    ('optimize', 'the hyper-parameters never reach update'):
        'the hyper-parameters never reach update',
    ('optimize', 'the gradient always taken at w0'):
        'the gradient is always taken at w0',
    ('optimize', 'row 0 is the first step, not w0'):
        'row 0 is the first step, not w0',
    ('momentum', 'heavy ball without the factor (1 - beta)'):
        'the velocity has no factor (1 - beta)',
    ('momentum', 'the velocity starts at the first gradient'):
        'the velocity starts at the first gradient',
    ('momentum', 'writes the new velocity into the state it was given'):
        'a dict it was given changed in place',
    ('momentum', 'the velocity in a global variable'):
        'the velocity kept outside the state (a global variable)',
    ('rmsprop', 'eps inside the square root'):
        'eps inside the square root',
    ('rmsprop', "the lecture's form without eps"):
        'eps is missing',
    ('rmsprop', 'eps hard-coded to 1e-8'):
        'eps hard-coded, not the eps argument',
    ('rmsprop', 'updates s in the state it was given'):
        'a dict it was given changed in place',
    ('adam', 't incremented after the step (the first step is t = 0)'):
        't starts at 0 in the correction (0/0 = nan on the first step)',
    ('adam', 'no bias correction'):
        'the bias correction is missing',
    ('adam', "eps inside the square root (the lecture's slide)"):
        'eps inside the square root',
    ('adam', 'keeps the corrected moments in the state'):
        'the corrected v_hat and s_hat kept in the state',
    ('adam', 'a global step counter'):
        't, v and s kept outside the state (a global variable)',
}
