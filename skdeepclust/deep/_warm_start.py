"""Starting a fit from another estimator's fitted network (``init=``).

C3Clusterer starts from a fitted CCClusterer this way; the checks run before
any network is built or trained, so that a mismatch fails at once with the
reason.
"""

from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted


def fitted_init(init, expected_class):
    """The fitted estimator of ``init``, unwrapped from a FrozenEstimator.

    Raises a ValueError naming the problem when it is of another class or not
    fitted (``sklearn.base.clone`` replaces an estimator parameter by an
    unfitted copy, hence the advice to freeze it).
    """
    name = expected_class.__name__
    if isinstance(init, FrozenEstimator):
        init = init.estimator
    if not isinstance(init, expected_class):
        raise ValueError(f"init must be a fitted {name} (or a FrozenEstimator around "
                         f"one); got {type(init).__name__}.")
    try:
        check_is_fitted(init, "net_")
    except NotFittedError:
        raise ValueError(
            f"init must be a fitted {name}; this one is not fitted. "
            "sklearn.base.clone (GridSearchCV, cross_validate...) replaces it by "
            "an unfitted copy: pass init=FrozenEstimator(model) with the fitted "
            "model to keep it."
        ) from None
    return init


def _describe_input(spec):
    """What the network reads, for comparing two fits' inputs."""
    if spec.kind == "image":
        return f"images of shape (C, H, W) = {tuple(spec.image_shape)}"
    return f"rows of {spec.n_inputs} features"


def check_init_matches(init, estimator, spec):
    """``init`` was fitted for the same number of clusters and the same input."""
    if init.n_clusters != estimator.n_clusters:
        raise ValueError(
            f"init has n_clusters={init.n_clusters} but this "
            f"{type(estimator).__name__} has n_clusters={estimator.n_clusters}; they "
            "must be equal."
        )
    fitted_on, given = _describe_input(init._input_spec), _describe_input(spec)
    if fitted_on != given:
        raise ValueError(f"init was fitted on {fitted_on}, but X gives {given}: the "
                         "input must be of the same kind and shape.")


def copy_fitted_network(net, init, backbone):
    """Load ``init``'s whole network into ``net.module_`` (values copied).

    Every tensor must exist in both with the same shape; otherwise a
    ValueError says which differs and that the backbones must be the same.
    """
    source = init.net_.module_.state_dict()
    target = net.module_.state_dict()
    mismatched = sorted(
        {key for key in target if key not in source or source[key].shape != target[key].shape}
        | (set(source) - set(target))
    )
    if mismatched:
        raise ValueError(
            f"init's network does not match this estimator's (init.backbone="
            f"{init.backbone!r}, backbone={backbone!r}): for example "
            f"{mismatched[0]!r} differs. Use the backbone init was fitted with."
        )
    # copies the values: init's own tensors are left untouched
    net.module_.load_state_dict(source)
