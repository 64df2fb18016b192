"""Docstring pieces that several estimators share, and the decorator that fills them in.

A docstring names a piece as ``%(name)s``; :func:`fill_doc` substitutes it when
the function or class is defined. Each piece keeps the indentation of where it
is used (4 spaces in a class docstring, 8 in a method's), from its second line on.
"""

SNIPPETS = {
    # class level
    "fitted_features": """n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has feature names.""",
    "n_clusters": """n_clusters : int, default=8
        Number of clusters.""",
    "verbose_seed": """verbose : int, default=0
        Print the objective of each restart when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial centres.""",
    # method level
    "new_rows": """Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data, with the training data's features.""",
    "new_samples": """Parameters
        ----------
        X : array-like
            Samples read like the training data.""",
    "y_ignored": """y : Ignored
            Not used, present for API consistency.""",
    "score_float": """Returns
        -------
        score : float""",
    "fitted_self": """Returns
        -------
        self : object
            Fitted estimator.""",
    # function level (datasets)
    "images_labels": """Returns
    -------
    images : ndarray of shape (n_samples, image_size, image_size), uint8
    labels : ndarray of shape (n_samples,), int64

    Examples
    --------""",
}


def fill_doc(obj):
    """Substitute the shared pieces named in ``obj.__doc__`` (a decorator).

    On a class, also in the docstrings of the methods the class defines.
    """
    if obj.__doc__ and "%(" in obj.__doc__:
        obj.__doc__ = obj.__doc__ % SNIPPETS
    if isinstance(obj, type):
        for member in vars(obj).values():
            if callable(member) and member.__doc__ and "%(" in member.__doc__:
                member.__doc__ = member.__doc__ % SNIPPETS
    return obj
