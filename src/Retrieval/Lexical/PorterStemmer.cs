namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// The Porter (1980) stemmer for lower-case ASCII English words, following Martin Porter's
/// reference implementation (including its two departures: "bli" to "ble" and "logi" to "log").
/// Stemming folds plural, tense and derivational forms together ("connections", "connected"
/// to "connect") so a query matches passages that phrase it differently.
/// </summary>
public static class PorterStemmer
{
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length <= 2)
        {
            return word;
        }
        foreach (var c in word)
        {
            if (c is < 'a' or > 'z')
            {
                return word;
            }
        }
        var stemmer = new Buffer(word);
        stemmer.Step1ab();
        if (stemmer.End > 0)
        {
            stemmer.Step1c();
            stemmer.Step2();
            stemmer.Step3();
            stemmer.Step4();
            stemmer.Step5();
        }
        return stemmer.ToString();
    }

    /// <summary>The word being stemmed: letters b[0..k]; j marks the end of the stem under test.</summary>
    private ref struct Buffer
    {
        private readonly char[] _b;
        private int _k;
        private int _j;

        public Buffer(string word)
        {
            _b = word.ToCharArray();
            _k = word.Length - 1;
            _j = 0;
        }

        public readonly int End => _k;

        public override readonly string ToString() => new(_b, 0, _k + 1);

        private readonly bool IsConsonant(int i) => _b[i] switch
        {
            'a' or 'e' or 'i' or 'o' or 'u' => false,
            'y' => i == 0 || !IsConsonant(i - 1),
            _ => true,
        };

        /// <summary>The number of vowel-consonant sequences in b[0..j].</summary>
        private readonly int Measure()
        {
            var n = 0;
            var i = 0;
            while (true)
            {
                if (i > _j) return n;
                if (!IsConsonant(i)) break;
                i++;
            }
            i++;
            while (true)
            {
                while (true)
                {
                    if (i > _j) return n;
                    if (IsConsonant(i)) break;
                    i++;
                }
                i++;
                n++;
                while (true)
                {
                    if (i > _j) return n;
                    if (!IsConsonant(i)) break;
                    i++;
                }
                i++;
            }
        }

        private readonly bool StemHasVowel()
        {
            for (var i = 0; i <= _j; i++)
            {
                if (!IsConsonant(i)) return true;
            }
            return false;
        }

        private readonly bool DoubleConsonant(int i) => i >= 1 && _b[i] == _b[i - 1] && IsConsonant(i);

        /// <summary>consonant-vowel-consonant ending at i, the last not w, x or y (as in "hop", not "snow").</summary>
        private readonly bool Cvc(int i)
        {
            if (i < 2 || !IsConsonant(i) || IsConsonant(i - 1) || !IsConsonant(i - 2)) return false;
            return _b[i] is not ('w' or 'x' or 'y');
        }

        private bool EndsWith(string suffix)
        {
            var length = suffix.Length;
            if (length > _k + 1) return false;
            if (!_b.AsSpan(_k - length + 1, length).SequenceEqual(suffix)) return false;
            _j = _k - length;
            return true;
        }

        /// <summary>Replaces b[j+1..k] with <paramref name="replacement"/>.</summary>
        private void SetTo(string replacement)
        {
            replacement.CopyTo(_b.AsSpan(_j + 1));
            _k = _j + replacement.Length;
        }

        private void ReplaceIfMeasured(string replacement)
        {
            if (Measure() > 0) SetTo(replacement);
        }

        public void Step1ab()
        {
            if (_b[_k] == 's')
            {
                if (EndsWith("sses")) _k -= 2;
                else if (EndsWith("ies")) SetTo("i");
                else if (_b[_k - 1] != 's') _k--;
            }
            if (EndsWith("eed"))
            {
                if (Measure() > 0) _k--;
            }
            else if ((EndsWith("ed") || EndsWith("ing")) && StemHasVowel())
            {
                _k = _j;
                if (EndsWith("at")) SetTo("ate");
                else if (EndsWith("bl")) SetTo("ble");
                else if (EndsWith("iz")) SetTo("ize");
                else if (DoubleConsonant(_k))
                {
                    _k--;
                    if (_b[_k] is 'l' or 's' or 'z') _k++;
                }
                else if (Measure() == 1 && Cvc(_k)) SetTo("e");
            }
        }

        public void Step1c()
        {
            if (EndsWith("y") && StemHasVowel()) _b[_k] = 'i';
        }

        public void Step2()
        {
            if (_k < 1) return;
            switch (_b[_k - 1])
            {
                case 'a':
                    if (EndsWith("ational")) { ReplaceIfMeasured("ate"); break; }
                    if (EndsWith("tional")) { ReplaceIfMeasured("tion"); break; }
                    break;
                case 'c':
                    if (EndsWith("enci")) { ReplaceIfMeasured("ence"); break; }
                    if (EndsWith("anci")) { ReplaceIfMeasured("ance"); break; }
                    break;
                case 'e':
                    if (EndsWith("izer")) { ReplaceIfMeasured("ize"); break; }
                    break;
                case 'l':
                    if (EndsWith("bli")) { ReplaceIfMeasured("ble"); break; }
                    if (EndsWith("alli")) { ReplaceIfMeasured("al"); break; }
                    if (EndsWith("entli")) { ReplaceIfMeasured("ent"); break; }
                    if (EndsWith("eli")) { ReplaceIfMeasured("e"); break; }
                    if (EndsWith("ousli")) { ReplaceIfMeasured("ous"); break; }
                    break;
                case 'o':
                    if (EndsWith("ization")) { ReplaceIfMeasured("ize"); break; }
                    if (EndsWith("ation")) { ReplaceIfMeasured("ate"); break; }
                    if (EndsWith("ator")) { ReplaceIfMeasured("ate"); break; }
                    break;
                case 's':
                    if (EndsWith("alism")) { ReplaceIfMeasured("al"); break; }
                    if (EndsWith("iveness")) { ReplaceIfMeasured("ive"); break; }
                    if (EndsWith("fulness")) { ReplaceIfMeasured("ful"); break; }
                    if (EndsWith("ousness")) { ReplaceIfMeasured("ous"); break; }
                    break;
                case 't':
                    if (EndsWith("aliti")) { ReplaceIfMeasured("al"); break; }
                    if (EndsWith("iviti")) { ReplaceIfMeasured("ive"); break; }
                    if (EndsWith("biliti")) { ReplaceIfMeasured("ble"); break; }
                    break;
                case 'g':
                    if (EndsWith("logi")) { ReplaceIfMeasured("log"); break; }
                    break;
            }
        }

        public void Step3()
        {
            switch (_b[_k])
            {
                case 'e':
                    if (EndsWith("icate")) { ReplaceIfMeasured("ic"); break; }
                    if (EndsWith("ative")) { ReplaceIfMeasured(""); break; }
                    if (EndsWith("alize")) { ReplaceIfMeasured("al"); break; }
                    break;
                case 'i':
                    if (EndsWith("iciti")) { ReplaceIfMeasured("ic"); break; }
                    break;
                case 'l':
                    if (EndsWith("ical")) { ReplaceIfMeasured("ic"); break; }
                    if (EndsWith("ful")) { ReplaceIfMeasured(""); break; }
                    break;
                case 's':
                    if (EndsWith("ness")) { ReplaceIfMeasured(""); break; }
                    break;
            }
        }

        public void Step4()
        {
            if (_k < 1) return;
            var matched = _b[_k - 1] switch
            {
                'a' => EndsWith("al"),
                'c' => EndsWith("ance") || EndsWith("ence"),
                'e' => EndsWith("er"),
                'i' => EndsWith("ic"),
                'l' => EndsWith("able") || EndsWith("ible"),
                'n' => EndsWith("ant") || EndsWith("ement") || EndsWith("ment") || EndsWith("ent"),
                'o' => (EndsWith("ion") && _j >= 0 && _b[_j] is 's' or 't') || EndsWith("ou"),
                's' => EndsWith("ism"),
                't' => EndsWith("ate") || EndsWith("iti"),
                'u' => EndsWith("ous"),
                'v' => EndsWith("ive"),
                'z' => EndsWith("ize"),
                _ => false,
            };
            if (matched && Measure() > 1) _k = _j;
        }

        public void Step5()
        {
            _j = _k;
            if (_b[_k] == 'e')
            {
                var m = Measure();
                if (m > 1 || (m == 1 && !Cvc(_k - 1))) _k--;
            }
            // The measure still counts b[0..j] with j at the word's end before this step, as in the reference.
            if (_b[_k] == 'l' && DoubleConsonant(_k) && Measure() > 1) _k--;
        }
    }
}
